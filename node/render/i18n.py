"""The pages' own words in English and French, and the choice between them.

Everything a page says that does not come from a signed document is here, keyed by a short
name, so a template never holds a sentence. The language is chosen from ``Accept-Language``
(RFC 9110 §12.5.4: q-values, language ranges; ``fr-CA`` matches ``fr``), English by
default. Signed prose (a mark's deed) carries its own languages: the page shows the best
one it has and says so when it falls back.
"""

from __future__ import annotations

from ..http import weighted_values

__all__ = ["LANGUAGES", "STRINGS", "choose_language"]

LANGUAGES = ("en", "fr")
MAX_HEADER = 512

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "skip_link": "Skip to the content",
        "status_checked": "Checked",
        "verify_title": "Trust mark verification",
        "held_by": "held by",
        "issued_by": "issued by",
        "who": "Who",
        "subject": "Subject (holder)",
        "issuer": "Issuer",
        "key_binding": "How the issuer's key is bound",
        "binding_web": "did:web: the domain {domain} publishes the issuer's keys in its DID "
                       "document ({url}); whoever controls the domain controls the keys.",
        "binding_key": "did:key: the identifier is the public key itself. No domain vouches "
                       "for it: trust it as far as you trust whoever gave it to you.",
        "binding_other": "The issuer is identified by {iri}; this node cannot say how its "
                         "keys are bound.",
        "what_it_says": "What this mark means",
        "deed_intro": "A summary of the mark's terms, in plain language.",
        "not_the_terms": "This summary is not the terms. It highlights what matters to "
                         "most readers; the terms alone say what the issuer commits to.",
        "read_terms": "Read the terms",
        "no_definition": "This node holds no definition of this mark. Its issuer names it "
                         "{mark}; ask the issuer what it means.",
        "says": "This mark says",
        "doesNotSay": "It does not say",
        "earnedBy": "How it is earned",
        "lostBy": "How it is lost",
        "lasts": "How long it lasts",
        "fallback_language": "(not available in your language: shown in {language})",
        "status_word": "Status in the mark's own words",
        "value": "Value",
        "checks": "Checks performed",
        "checks_intro": "This node checked, at {time}:",
        "checks_intro_copy": "This copy was checked when it was made, at {time}:",
        "check_signature": "Signature",
        "check_key": "Key valid at signing time",
        "check_binding": "Signed by the issuer",
        "check_revocation": "Not revoked (status list)",
        "check_validity": "Within its validity period",
        "check_acceptance": "Accepted by its subject",
        "pass": "passed",
        "fail": "failed",
        "warn": "warning",
        "skip": "not checked",
        "why_trust": "Why others may trust it",
        "why_intro": "Sites read each other's marks through rules they publish themselves "
                     "(unilaterally: the issuer does not have to agree).",
        "no_rules": "No site has published, to this node, a rule for reading this mark.",
        "path": "This node's own path to the holder",
        "no_path": "This node has no trust path to the holder in this context.",
        "evidence": "Evidence",
        "embed": "Embed this badge",
        "embed_html": "HTML",
        "embed_markdown": "Markdown",
        "embed_note": "The image updates itself: it always shows the live status.",
        "qr": "QR code of this page, for print and CVs",
        "independent": "Verify it without this node",
        "independent_intro": "Download the signed credential and verify it offline with "
                             "Confiance, or with any W3C Data Integrity verifier "
                             "(cryptosuites eddsa-jcs-2022 and eddsa-rdfc-2022):",
        "download": "The signed credential (JSON-LD)",
        "download_baked": "The badge with the credential baked in (SVG, Open Badges 3.0 style)",
        "download_ob": "The same mark as an Open Badges 3.0 credential (for wallets)",
        "machine": "For machines",
        "machine_note": "This page carries the assertion's facts as embedded JSON-LD, and "
                        "links to the signed document (rel=alternate).",
        "valid_from": "Valid from",
        "valid_until": "Valid until",
        "no_end": "no end date",
        "received": "Received by this node",
        "assertion_id": "Assertion id",
        "context": "Context of trust",
        "kind": "Kind",
        "footer": "Served by a Confiance node. This page verifies a signed statement; it "
                  "judges nothing by itself.",
        "node_page": "About this node",
        "api": "API (OpenAPI)",
        "home_title": "A Confiance trust node",
        "home_intro": "This node publishes signed trust marks and reads other sites' marks "
                      "through rules it publishes. Everything here verifies offline.",
        "run_by": "Run by",
        "identity": "Identity",
        "marks_awarded": "Marks this node awards",
        "no_marks": "This node has published no mark definitions yet.",
        "how_we_read": "How we read others' marks",
        "no_recognitions": "This node publishes no rule for reading other sites' marks.",
        "peers": "Peers this node recognises",
        "no_peers": "This node recognises no peer.",
        "referrals_title": "When someone vouches for someone",
        "referrals_rule": "Whoever refers someone to this node answers a little for them. If "
                          "the people this node trusts rate that person negatively for what "
                          "they did while the referral stood, the referrer loses up to "
                          "{rate} of their standing here per referral, never more than {cap} "
                          "in all. The referrer's own word for the person they referred, and "
                          "any other referral of that person, count as no evidence for them. "
                          "A referral that turns out well costs nothing and earns nothing.",
        "referrals_withdrawn": "Withdrawing a referral afterwards (revoking it, letting it "
                               "expire, replacing it, or erasing it) does not undo that: it "
                               "keeps costing what it cost for {days} days after it stopped. "
                               "Of an erased referral this node keeps only its own judgement "
                               "(who referred, in which context, how bad, when), never the "
                               "referral nor whom it named, and the referrer sees it in their "
                               "export. A referral withdrawn before anything went wrong "
                               "leaves nothing.",
        "links": "Links",
        "personal_title": "Trust marks of {name}",
        "personal_intro": "Marks and ratings about {name} that {name} accepted, with their "
                          "live status.",
        "nothing_accepted": "Nothing about this subject has been accepted by it yet.",
        "rating": "rating",
        "score": "Score",
        "terms_title": "Terms",
        "deed_title": "Deed",
        "version": "Version",
        "versions": "Versions",
        "canonical": "Canonical URL",
        "machine_terms": "The signed definition (JSON-LD)",
        "languages": "Also in",
        "offline_status": "Offline copy: signature and dates checked when this copy was "
                          "made; revocation not checked. The issuer's node has the live "
                          "status.",
        "static_copy": "Static copy made with confiance badges export",
        "open_live": "Live status at the issuer",
        "qr_alt": "QR code linking to {url}",
        "language_switch": "Français",
    },
    "fr": {
        "skip_link": "Aller au contenu",
        "status_checked": "Vérifié le",
        "verify_title": "Vérification d'une marque de confiance",
        "held_by": "détenue par",
        "issued_by": "délivrée par",
        "who": "Qui",
        "subject": "Sujet (détenteur)",
        "issuer": "Émetteur",
        "key_binding": "Comment la clé de l'émetteur est rattachée",
        "binding_web": "did:web : le domaine {domain} publie les clés de l'émetteur dans son "
                       "document DID ({url}) ; qui contrôle le domaine contrôle les clés.",
        "binding_key": "did:key : l'identifiant est la clé publique elle-même. Aucun domaine "
                       "ne s'en porte garant : fiez-vous-y autant qu'à qui vous l'a donnée.",
        "binding_other": "L'émetteur est identifié par {iri} ; ce nœud ne peut dire comment "
                         "ses clés sont rattachées.",
        "what_it_says": "Ce que signifie cette marque",
        "deed_intro": "Un résumé des conditions de la marque, en langage courant.",
        "not_the_terms": "Ce résumé n'est pas les conditions. Il souligne ce qui compte pour "
                         "la plupart des lecteurs ; seules les conditions disent à quoi "
                         "l'émetteur s'engage.",
        "read_terms": "Lire les conditions",
        "no_definition": "Ce nœud ne détient aucune définition de cette marque. Son émetteur "
                         "la nomme {mark} ; demandez-lui ce qu'elle signifie.",
        "says": "Cette marque dit",
        "doesNotSay": "Elle ne dit pas",
        "earnedBy": "Comment on l'obtient",
        "lostBy": "Comment on la perd",
        "lasts": "Combien de temps elle dure",
        "fallback_language": "(non disponible dans votre langue : affiché en {language})",
        "status_word": "Statut dans les mots de la marque",
        "value": "Valeur",
        "checks": "Vérifications effectuées",
        "checks_intro": "Ce nœud a vérifié, le {time} :",
        "checks_intro_copy": "Cette copie a été vérifiée à sa création, le {time} :",
        "check_signature": "Signature",
        "check_key": "Clé valide au moment de la signature",
        "check_binding": "Signée par l'émetteur",
        "check_revocation": "Non révoquée (liste de statuts)",
        "check_validity": "Dans sa période de validité",
        "check_acceptance": "Acceptée par son sujet",
        "pass": "réussie",
        "fail": "échouée",
        "warn": "avertissement",
        "skip": "non vérifiée",
        "why_trust": "Pourquoi d'autres peuvent s'y fier",
        "why_intro": "Les sites lisent les marques des autres selon des règles qu'ils "
                     "publient eux-mêmes (unilatéralement : l'émetteur n'a pas à être "
                     "d'accord).",
        "no_rules": "Aucun site n'a publié auprès de ce nœud de règle pour lire cette marque.",
        "path": "Le chemin de ce nœud jusqu'au détenteur",
        "no_path": "Ce nœud n'a aucun chemin de confiance jusqu'au détenteur dans ce contexte.",
        "evidence": "Preuves",
        "embed": "Intégrer ce badge",
        "embed_html": "HTML",
        "embed_markdown": "Markdown",
        "embed_note": "L'image se met à jour d'elle-même : elle montre toujours le statut "
                      "actuel.",
        "qr": "Code QR de cette page, pour l'impression et les CV",
        "independent": "La vérifier sans ce nœud",
        "independent_intro": "Téléchargez l'attestation signée et vérifiez-la hors ligne "
                             "avec Confiance, ou avec tout vérificateur W3C Data Integrity "
                             "(suites eddsa-jcs-2022 et eddsa-rdfc-2022) :",
        "download": "L'attestation signée (JSON-LD)",
        "download_baked": "Le badge avec l'attestation incluse (SVG, à la manière d'Open "
                          "Badges 3.0)",
        "download_ob": "La même marque en attestation Open Badges 3.0 (pour les portefeuilles)",
        "machine": "Pour les machines",
        "machine_note": "Cette page porte les faits de l'assertion en JSON-LD intégré, et "
                        "renvoie au document signé (rel=alternate).",
        "valid_from": "Valide à partir du",
        "valid_until": "Valide jusqu'au",
        "no_end": "sans date de fin",
        "received": "Reçue par ce nœud",
        "assertion_id": "Identifiant de l'assertion",
        "context": "Contexte de confiance",
        "kind": "Type",
        "footer": "Servi par un nœud Confiance. Cette page vérifie une déclaration signée ; "
                  "elle ne juge rien par elle-même.",
        "node_page": "À propos de ce nœud",
        "api": "API (OpenAPI)",
        "home_title": "Un nœud de confiance Confiance",
        "home_intro": "Ce nœud publie des marques de confiance signées et lit les marques "
                      "d'autres sites selon des règles qu'il publie. Tout ici se vérifie "
                      "hors ligne.",
        "run_by": "Tenu par",
        "identity": "Identité",
        "marks_awarded": "Les marques que ce nœud délivre",
        "no_marks": "Ce nœud n'a encore publié aucune définition de marque.",
        "how_we_read": "Comment nous lisons les marques des autres",
        "no_recognitions": "Ce nœud ne publie aucune règle pour lire les marques d'autres "
                           "sites.",
        "peers": "Les pairs que ce nœud reconnaît",
        "no_peers": "Ce nœud ne reconnaît aucun pair.",
        "referrals_title": "Quand quelqu'un se porte garant de quelqu'un",
        "referrals_rule": "Qui recommande quelqu'un à ce nœud en répond un peu. Si les "
                          "personnes en qui ce nœud a confiance notent négativement cette "
                          "personne pour ce qu'elle a fait pendant que la recommandation "
                          "valait, l'auteur de la recommandation perd jusqu'à {rate} de sa "
                          "réputation ici par recommandation, jamais plus de {cap} en tout. "
                          "Sa propre parole en faveur de la personne recommandée, et toute "
                          "autre recommandation de celle-ci, ne comptent pas comme preuve en "
                          "sa faveur. Une recommandation qui se révèle bonne ne coûte ni ne "
                          "rapporte rien.",
        "referrals_withdrawn": "Retirer une recommandation après coup (la révoquer, la "
                               "laisser expirer, la remplacer ou l'effacer) n'y change rien : "
                               "elle continue de coûter ce qu'elle coûtait pendant {days} "
                               "jours après avoir cessé de valoir. D'une recommandation "
                               "effacée, ce nœud ne garde que son propre jugement (qui a "
                               "recommandé, dans quel contexte, à quel point c'était mauvais, "
                               "quand), jamais la recommandation ni la personne qu'elle "
                               "nommait, et son auteur le voit dans son export. Une "
                               "recommandation retirée avant que rien n'ait mal tourné ne "
                               "laisse rien.",
        "links": "Liens",
        "personal_title": "Marques de confiance de {name}",
        "personal_intro": "Les marques et notes sur {name} que {name} a acceptées, avec leur "
                          "statut actuel.",
        "nothing_accepted": "Ce sujet n'a encore rien accepté à son propos.",
        "rating": "note",
        "score": "Note",
        "terms_title": "Conditions",
        "deed_title": "Résumé",
        "version": "Version",
        "versions": "Versions",
        "canonical": "URL canonique",
        "machine_terms": "La définition signée (JSON-LD)",
        "languages": "Aussi en",
        "offline_status": "Copie hors ligne : signature et dates vérifiées lors de la copie ; "
                          "révocation non vérifiée. Le nœud de l'émetteur a le statut actuel.",
        "static_copy": "Copie statique faite avec confiance badges export",
        "open_live": "Statut actuel chez l'émetteur",
        "qr_alt": "Code QR menant à {url}",
        "language_switch": "English",
    },
}

STATUS_WORDS_FR = {
    "valid": "valide", "revoked": "révoquée", "expired": "expirée", "suspended": "suspendue",
    "rejected": "refusée", "superseded": "remplacée", "not-yet-valid": "pas encore valide",
    "unverifiable": "invérifiable",
}
STATUS_SUMMARIES_FR = {
    "valid": "La signature est vérifiée et l'émetteur n'a pas révoqué cette marque.",
    "revoked": "L'émetteur a révoqué cette marque : elle ne vaut plus.",
    "expired": "Cette marque a dépassé la fin de sa période de validité.",
    "suspended": "L'émetteur a suspendu cette marque pour l'instant.",
    "rejected": "Le détenteur a refusé cette marque : elle n'est pas présentée comme sienne.",
    "superseded": "Une assertion plus récente du même émetteur remplace celle-ci.",
    "not-yet-valid": "La période de validité de cette marque n'a pas encore commencé.",
    "unverifiable": "Cette marque n'a pas pu être vérifiée : ne vous y fiez pas.",
}


def choose_language(header: str | None) -> str:
    """``en`` or ``fr`` from an ``Accept-Language`` header (English by default)."""
    if not header:
        return "en"
    best = ("en", -1.0, 0)
    for quality, position, tag in weighted_values(header[:MAX_HEADER])[:32]:
        base = tag.split("-")[0]
        if base in LANGUAGES and quality > 0 and (quality, -position) > (best[1], -best[2]):
            best = (base, quality, position)
    return best[0]
