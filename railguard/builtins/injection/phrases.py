"""The curated phrase patterns: instruction-override, role-switch and task-hijack wording.

Each `Phrase` is an RE2 pattern (matched case-insensitively on the normalized text: NFKC,
invisible characters removed, look-alike letters folded, words spelled out letter by
letter joined; see `railguard/builtins/pii/normalize.py`) with an id, a weight for the
combined score and a short reason. Key words are written `<word>`: each letter then also
matches its common leetspeak digits and symbols (`1gn0r3`, `@ct`). `docs/injection.md`
lists the set; a policy adds its own patterns with `patterns:`.

The weights: 0.9 for wording that has no business in data (ignore previous instructions,
a fake system header), 0.5 to 0.8 for wording that addresses the model reading the text
(in your response, the following code block), 0.3 to 0.4 for framing that is common in
attacks but also in honest text (imagine we are, decode this): two of those together
cross the default threshold, one alone does not.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from railguard.builtins.pii.normalize import normalize
from railguard.builtins.regex import Regex

_LEET = {
    "a": "a4@",
    "b": "b8",
    "e": "e3",
    "g": "g9",
    "i": "i1!|",
    "l": "l1|",
    "o": "o0",
    "s": "s5$",
    "t": "t7+",
    "z": "z2",
}


def leet(word: str) -> str:
    """An RE2 pattern for `word` that also matches its leetspeak spellings."""
    out = []
    for ch in word:
        alts = _LEET.get(ch)
        out.append("[" + re.escape(alts) + "]" if alts else re.escape(ch))
    return "".join(out)


def folded(text: str) -> str:
    """`text` as the normalizer writes it (for patterns in scripts it folds, such as Greek)."""
    return normalize(text, digits=False, confusables=True).text


def _expand(source: str) -> str:
    return re.sub(r"<([a-z]+)>", lambda m: leet(m.group(1)), source)


@dataclass(frozen=True)
class Phrase:
    """One curated pattern: `id`, weight in the combined score, reason, RE2 source."""

    id: str
    weight: float
    reason: str
    source: str
    flags: str = "i"
    expand: bool = True  # write `<word>` with its leetspeak spellings (not in policy patterns)
    unless_before: str | None = None  # a match is dropped when this matches the words before it

    @functools.cached_property
    def regex(self) -> Regex:
        return Regex(_expand(self.source) if self.expand else self.source, self.flags)

    @functools.cached_property
    def veto(self) -> Regex | None:
        return None if self.unless_before is None else Regex(self.unless_before + r"\z", "i")

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The matches in `text`, without those the words just before them veto."""
        veto = self.veto
        found = self.regex.finditer(text)
        if veto is None:
            return found
        return [(a, b) for a, b in found if not veto.search(text[max(0, a - 40) : a])]


_W = r"(?:[\s\W]+\w+)"  # a further word
_OVERRIDE_VERB = r"(?:<ignore>|<disregard>|<forget>|<overlook>|<bypass>|<neglect>|<override>|<skip>|<discard>|abandon|set\s+aside|throw\s+out|do\s+not\s+(?:follow|obey))"
_OVERRIDE_OBJECT = (
    r"(?:<instructions>|<instruction>|directives?|directions|<rules>|<prompts?>|guidelines|"
    r"commands|orders|constraints|restrictions|programming|guidance|policies|"
    r"(?:have\s+been|were|was|been)\s+(?:told|instructed|given|taught)|<above>|everything|"
    r"everthing|all\s+(?:of\s+)?(?:that|this|the\s+above))"
)
_MODEL_OUTPUT = r"(?:response|reply|answer|output|message|summary|elucidation)"
_MODEL_WORK = (
    r"(?:code|codebase|implementation|solution(?:\s+architecture)?|algorithm|program|script)"
)

PHRASES: tuple[Phrase, ...] = (
    # -- instruction override ------------------------------------------------------------
    Phrase(
        "ignore_previous",
        0.9,
        "tells the reader to ignore or forget its previous instructions",
        rf"\b{_OVERRIDE_VERB}\b{_W}{{0,5}}?[\s\W]+{_OVERRIDE_OBJECT}\b",
    ),
    Phrase(
        "ignore_the_text",
        0.9,
        "tells the reader to ignore the text it was given and say something else",
        rf"\b{_OVERRIDE_VERB}\s+(?:the|this|that)\s+(?:\w+\s+){{0,2}}?(?:and|,)\s*(?:instead\s+)?"
        r"(?:state|say|print|output|write|respond|reply|tell|answer|return|declare)\b",
    ),
    Phrase(
        "new_instructions",
        0.8,
        "announces new or real instructions for the reader",
        r"\b(?:new|updated|revised|real|actual|true|secret|hidden|additional|important)\s+"
        r"(?:system\s+)?(?:<instructions>|directives|task|<prompt>|orders|rules)\s*[:!-]"
        r"|\byour\s+(?:new|real|true|actual|only)\s+(?:<instructions>|task|goal|purpose|job|objective)\b"
        r"|\b<system>\s*<prompt>\s*[:=]|\b(?:reveal|print|show|repeat|output)\s+(?:your|the)\s+"
        r"(?:<system>\s+)?(?:<prompt>|<instructions>|initial\s+<prompt>)\b",
    ),
    Phrase(
        "stop_task",
        0.8,
        "tells the reader to stop what it is doing",
        r"\b(?:stop|cease|halt|abort)\s+(?:what\s+you\s+are\s+doing|(?:your|the|all)\s+(?:current\s+)?"
        r"(?:task|work|summar\w+|translation|analysis))\b|\binstead\s*,?\s+(?:you\s+(?:will|must|should)|"
        r"(?:say|print|output|respond|reply|write|tell))\b",
    ),
    Phrase(
        "ignore_multilingual",
        0.9,
        "tells the reader to ignore its previous instructions, in another language",
        r"\b(?:ignor[ae]|olvid[ae]|ignoriere|ignorieren|vergiss|vergessen|dimentica|esque[cç]a)\b(?:[\s\W]+\w+){0,4}?"
        r"[\s\W]+(?:instrucciones|instru[cç][õo]es|anweisungen|istruzioni|indicaciones)\b"
        r"|\b(?:ignorez|oubliez)\s+(?:toutes\s+)?(?:les|vos)\s+(?:\w+\s+)?(?:instructions|consignes)\b|"
        + folded("αγνοήστε")
        + "|"
        + folded("προηγούμενες οδηγίες")
        + "|"
        + folded("предыдущие инструкции")
        + "|"
        + folded("игнорируй")
        + r"|पिछले निर्देश|निर्देशों की अनदेखी|以前の指示を無視|忽略(?:之前|以前|先前)的指示"
        + r"|تجاهل التعليمات|تجاهل جميع التعليمات",
    ),
    # -- role switch -------------------------------------------------------------------------
    Phrase(
        "role_switch",
        0.8,
        "tries to give the reader a new identity or role",
        r"\byou\s+are\s+now\b|\bfrom\s+now\s+on\s*,?\s+(?:you|act|respond|answer|reply|behave)\b"
        r"|\b(?:<act>|behave)\s+as\s+(?:if\s+you\s+were\s+)?(?:an?\s+|the\s+|my\s+)?(?:\w+\s+){0,2}?"
        r"(?:ai|assistant|model|chatbot|bot|dan|persona|character|hacker|system)\b"
        r"|\bpretend\s+(?:to\s+be|you\s+are|you're|that\s+you)\b|\brole[\s-]?play\s+as\b"
        r"|\bimmerse\s+yourself\s+in(?:to)?\s+the\s+role\b|\btake\s+on\s+the\s+(?:role|persona)\b"
        r"|\bdo\s+anything\s+now\b|\b(?-i:DAN)\b",
    ),
    Phrase(
        "special_mode",
        0.8,
        "claims to switch the reader into a special mode",
        r"\b(?:<developer>|<dev>|<god>|<admin>|debug|maintenance|<system>|<override>|unrestricted|"
        r"unfiltered|sudo|root|<jailbreak>|security|verification|test|diagnostic)\s+mode\b"
        r"|\b<jailbreak>(?:ing|ed|s)?\b|\b<override>\s+(?:mode|confirmed|activated|enabled)\b"
        r"|\b(?:<developer>|<system>|<admin>|security|data|training)\s+(?:\w+\s+){0,2}?<override>\b",
    ),
    Phrase(
        "fake_system",
        0.9,
        "holds a forged system or chat-template header",
        r"<\s*/?\s*(?:<system>|sys|im_start|im_end|\|im_start\||\|im_end\||assistant|instructions?)"
        r"\s*(?:mode|prompt|message)?\s*>|\[\s*/?\s*(?:<system>|inst|sys)\s*\]|<<\s*sys\s*>>"
        r"|(?m:^\s*#{1,4}\s*(?:<system>|<instructions?>|assistant)\s*:?\s*$)"
        r"|(?m:^\s*(?:<system>|assistant)\s*:\s)",
    ),
    Phrase(
        "authority_claim",
        0.6,
        "claims to be the model's developer, owner or a higher authority",
        r"\bI\s*(?:am|'m)\s+(?:your|the|an?)\s+(?:\w+\s+)?(?:<developer>|creator|<admin>|"
        r"administrator|owner|operator|<god>|boss|master|supervisor|programmer)\b"
        r"|\bI\s+am\s+<god>\b|\bas\s+your\s+(?:<developer>|creator|<admin>|boss|owner|operator)\b"
        r"|\bas\s+an\s+ai\s+(?:developed|created|made|trained|built)\s+by\b"
        r"|\b(?:law\s+enforcement|security|admin|system)\s+<override>\b",
    ),
    # -- addressed to the model ------------------------------------------------------------
    Phrase(
        "your_response",
        0.6,
        "tells the model reading the text what to put in its answer",
        rf"\b(?:in|into|within|throughout|of|from|with)\s+your\s+{_MODEL_OUTPUT}\b"
        rf"|\byour\s+{_MODEL_OUTPUT}'s\b"
        rf"|\b(?:add|include|insert|integrate|incorporate|embed|append|modify|augment|enhance|"
        rf"render|provide|convert|replace|substitute|scramble|rearrange|jumble|misspell|group|"
        rf"remove|combine|begin|start|end|conclude|finish|format|write|translate)\s+your\s+"
        rf"(?:\w+\s+)?{_MODEL_OUTPUT}\b"
        rf"|\b(?:add|append|attach|include|insert)\b[^!?\n]{{0,160}}?\bto\s+your\s+{_MODEL_OUTPUT}\b",
        unless_before=r"\b(?:forward|thanks?|thank\s+you|grateful|respond|reply)\b\W*",
    ),
    Phrase(
        "code_insertion",
        0.7,
        "asks the model to put a block of code into what it produces",
        r"\b(?:the\s+)?(?:following|subsequent|below|above|attached|this)\s+code\s+"
        r"(?:block|snippet|excerpt|section|fragment|segment|sample)\b"
        rf"|\b(?:into|in|within)\s+(?:the\s+\w+\s+of\s+)?your\s+{_MODEL_WORK}\b"
        rf"|\b(?:<execute>|run|eval)\s+(?:the\s+)?(?:following|this|below)\s+(?:code|command|script)\b",
    ),
    Phrase(
        "tell_the_user",
        0.7,
        "tells the model what to tell its user",
        r"\b(?:tell|inform|instruct|ask|direct|urge|advise|remind)\s+the\s+user\s+(?:to|that)\b"
        r"|\b(?:print|say|state|output|respond\s+with|reply\s+with|answer\s+with)\s*:?\s*"
        r"(?:only\s+)?[\"'](?:your\s+account|access\s+granted|system|i\s+have\s+been)",
    ),
    # -- data requests ----------------------------------------------------------------------
    Phrase(
        "secret_request",
        0.6,
        "asks for a password, secret, key or the system prompt",
        r"\b(?:what(?:'s|\s+is|\s+are|\s+would)|tell\s+me|share|give\s+me|reveal|confirm|provide|"
        r"print|write|disclose|leak|spell|encode|hint|contains?)\b(?:[\s\W]+\w+){0,6}?[\s\W]+(?:the\s+|your\s+)?"
        r"(?:<password>|passphrase|pass\s+code|secret\s+(?:key|string|code|word)|api\s+key|"
        r"access\s+code|confidential\s+string|system\s+<prompt>)\b"
        r"|\b(?:contraseña|mot\s+de\s+passe|passwort|senha)|パスワード|密码",
        unless_before=r"\b(?:never|not|n't|nobody|no\s+one|won't)\b[^.!?]*",
    ),
    Phrase(
        "personal_data_request",
        0.5,
        "asks for another person's personal data",
        r"\b(?:tell|give|show|send|list|print)\s+me\b(?:[\s\W]+\w+){0,5}?[\s\W]+"
        r"(?:birth\s*date|date\s+of\s+birth|birth\s+(?:year|day|month)|home\s+address|"
        r"e-?mail\s+address|phone\s+number|bank\s+balance|social\s+security|city\s+of\s+residence)\b"
        r"|\bwhere\s+(?:does|do)\s+(?:the\s+user|\w+(?:\s+\w+)?)\s+(?:currently\s+)?live\b"
        r"|\bthe\s+user'?s\s+(?:birth|email|e-mail|favorite|address|phone|password|name)",
    ),
    # -- task hijack and framing ------------------------------------------------------------
    Phrase(
        "task_hijack",
        0.5,
        "asks the reader for a different task than the one at hand",
        r"\b(?:write|compose|draft|develop|create|generate|provide|give\s+me)\s+(?:me\s+)?(?:a|an)\s+"
        r"(?:\w+\s+){0,3}?(?:poem|story|essay|haiku|song|joke|limerick|speech|"
        r"introduction|phishing\s+e-?mail|letter\s+to)\b"
        r"|\btranslate\s+(?:the\s+following|this)\s+(?:sentence|text|phrase|word)\b"
        r"|\bactually\s*,?\s+(?:can|could|would)\s+you\b|\brepeat\b[^\n]{0,60}?\b\d+\s+times\b",
    ),
    Phrase(
        "dismiss_and_ask",
        0.5,
        "dismisses what came before and asks for something else",
        r"\b(?:<forget>|<ignore>|never\s*mind|<disregard>)\s+(?:about\s+)?(?:that|this|it|all\s+(?:that|this))"
        r"\s*[,.;!]\s*(?:and\s+)?(?:can|could|would|will|please|now|instead|just|tell|give|write|"
        r"provide|say|print|list)\b",
    ),
    Phrase(
        "assemble_payload",
        0.5,
        "asks the reader to assemble an instruction split into parts",
        r"\b(?:combine|concatenate|interlace|join|merge|put\s+together)\s+(?:the\s+)?"
        r"(?:parts?|strings?|pieces|fragments|[a-z],\s*[a-z],?\s+and\s+[a-z])\b|\binterlace\s+part\b"
        r"|\bwrite\s+down\s+the\s+string\b|\busing\s+the\s+following\s+parts\b",
    ),
    Phrase(
        "roleplay_frame",
        0.4,
        "frames the request as a game, a hypothesis or another world",
        r"\b(?:imagine|suppose|pretend|assume)\s+(?:that\s+)?(?:we're|we\s+are|you're|you\s+are|"
        r"i'm|i\s+am)\b|\bhypothetical\s+(?:scenario|discussion|conversation|situation|world)\b"
        r"|\bin\s+this\s+(?:world|society|scenario|universe|game)\b"
        r"|\bin\s+an?\s+(?:\w+\s+){0,2}?(?:world|universe|reality|society)\s+where\b"
        r"|\blet'?s\s+(?:say|assume|state|pretend|imagine|suppose)\b|\bwe\s+might\s+(?:say|state)\b"
        r"|\bimagine\s+a\s+(?:scenario|world|situation)\b",
    ),
    Phrase(
        "encoding_request",
        0.4,
        "asks the reader to decode, encode or transform hidden text",
        r"\b(?:decode|decipher|decrypt|encode)\s+(?:this|the\s+following|it|each|the\s+\w+)\b"
        r"|\b(?:in|using|into|with)\s+(?:base64|rot13|morse(?:\s+code)?|binary|leetspeak|pig\s+latin|"
        r"hex(?:adecimal)?)\b|\bcaesar\s+cipher\b|\bin\s+reverse\s+order\b",
    ),
    Phrase(
        "few_shot",
        0.4,
        "holds a made-up question-and-answer dialogue",
        r"(?:^|[\s\W])Q:\s[^\n]*?\sA:\s[^\n]*?\sQ:\s",
    ),
    Phrase(
        "bribe",
        0.4,
        "offers the reader a reward or invokes a false claim to comply",
        r"\bI(?:'ll|\s+will)\s+(?:give|pay|donate|tip)\b(?:[\s\W]+\w+){0,8}?[\s\W]+if\s+you\b"
        r"|\bif\s+you\s+(?:share|give|tell|reveal)\s+(?:me\s+)?your\b",
    ),
)

STRONG = 0.5  # a weight from here up flags a text on its own at the default threshold
