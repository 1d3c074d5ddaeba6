"""``python -m confiance.protocol.gossip``: print the session transition table (Markdown).

``specs/gossip.md`` holds this output between its state-table markers.
"""

from .session import transition_table_markdown

print(transition_table_markdown(), end="")
