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
import unicodedata
from dataclasses import dataclass

from railguard.builtins.injection.cipher import rotations
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


def script(source: str) -> str:
    """An RE2 source written in any script, as the normalizer leaves the text it matches:
    each letter outside ASCII becomes what the normalizer folds it to, in both cases (it
    folds some Cyrillic and Greek letters in one case only), and a Greek accent becomes
    optional (capitals are often written without). Put no such letter inside `[...]`."""
    out = []
    for ch in source:
        if ch.isascii():
            out.append(ch)
            continue
        variants = [ch]
        if unicodedata.name(ch, "").startswith("GREEK") and unicodedata.normalize("NFD", ch) != ch:
            variants.append(unicodedata.normalize("NFD", ch)[0])
        forms = {folded(c) for v in variants for c in (v, v.lower(), v.upper()) if len(c) == 1}
        distinct = {f.casefold(): f for f in sorted(f for f in forms if f)} or {ch: ch}
        if len(distinct) == 1:
            out.append(re.escape(next(iter(distinct.values()))))
        else:
            out.append("(?:" + "|".join(re.escape(f) for f in distinct.values()) + ")")
    return "".join(out)


def words(*items: str) -> str:
    """An RE2 alternation of words or phrases in any script (see `script`); a space in one
    matches any run of spaces."""
    return "(?:" + "|".join(r"\s+".join(script(w) for w in item.split()) for item in items) + ")"


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
    r"(?:have\s+been|were|was|been)\s+(?:told|instructed|given|taught)|<above>|"
    r"everything\s+(?:above|before|prior|previously|so\s+far|(?:that\s+)?(?:you|i)\s)|everthing|"
    r"all\s+(?:of\s+)?(?:that|this|the\s+above))"
)
_MODEL_OUTPUT = r"(?:response|reply|answer|output|message|summary|elucidation)"
_MODEL_WORK = (
    r"(?:code|codebase|implementation|solution(?:\s+architecture)?|algorithm|program|script)"
)
_YOUR_WORK = rf"your\s+{_MODEL_WORK}"
_CODE_BLOCK = (
    r"(?:the\s+)?(?:following|subsequent|below|above|attached|this)\s+code\s+"
    r"(?:block|snippet|excerpt|section|fragment|segment|sample)"
)

# Words for a password, a secret key or the system prompt in other languages (Latin
# letters; other scripts), and the requests for one: "what is", "tell me", "give me" and
# the like, then at most two articles or possessives, then the word.
_SECRET_LATIN = script(
    r"(?:contraseña|clave\s+de\s+acceso|mot\s+de\s+passe|passwort|kennwort|senha|"
    r"palavra-passe|parola\s+d['\x{2019}]ordine|wachtwoord|lösenord|passord|adgangskode|"
    r"salasana|jelszó|hasło|hasła|heslo|kata\s+sandi|kata\s+laluan|şifre|mật\s+khẩu|"
    r"clave\s+secreta|clé\s+secrète|chiave\s+segreta|chave\s+secreta|"
    r"geheimen?\s+schlüssel|geheime\s+sleutel|kunci\s+rahasia)"
)
_SECRET_OTHER = words(
    "пароль",
    "пароля",
    "секретный ключ",
    "κωδικός πρόσβασης",
    "κωδικό πρόσβασης",
    "パスワード",
    "秘密鍵",
    "密码",
    "密碼",
    "口令",
    "密钥",
    "密鑰",
    "비밀번호",
    "비밀키",
    "비밀 키",
    "पासवर्ड",
    "كلمة المرور",
    "كلمة السر",
    "رمز عبور",
    "סיסמה",
    "סיסמא",
    "รหัสผ่าน",
    "системный промпт",
    "системные инструкции",
    "系统提示",
    "系統提示",
    "系统指令",
    "系統指令",
    "システムプロンプト",
    "システム指示",
    "시스템 프롬프트",
    "시스템프롬프트",
)
_SYSTEM_PROMPT_LATIN = script(
    r"prompt\s+(?:système|systeme|du\s+système|de\s+sistema|del\s+sistema|di\s+sistema|"
    r"do\s+sistema)|\bsystem-?prompt|\bsystemanweisung"
)
_ASK_LATIN = script(
    r"\b(?:cuál\s+es|cual\s+es|dime|dame|dígame|digame|revélame|revela|compárteme|"
    r"quel\s+est|quelle\s+est|donne-moi|donnez-moi|dis-moi|dites-moi|révèle-moi|révélez-moi|"
    r"envoie-moi|envoyez-moi|was\s+ist|wie\s+lautet|gib\s+mir|geben\s+sie\s+mir|sag\s+mir|"
    r"sagen\s+sie\s+mir|verrate\s+mir|verraten\s+sie\s+mir|nenne\s+mir|nennen\s+sie\s+mir|"
    r"qual\s+é|qual\s+e|qual\s+a|me\s+dê|me\s+de|me\s+diga|diga-me|dê-me|revele|me\s+passe|"
    r"qual\s+è|quale\s+è|dimmi|dammi|rivelami|rivela|mi\s+dici|mi\s+dai|wat\s+is|"
    r"geef\s+me|geef\s+mij|vertel\s+me|vertel\s+mij|apa|berikan|beritahu|sebutkan|"
    r"kasih\s+tahu|cho\s+tôi\s+biết|cho\s+tôi)\s+"
)
_ARTICLES = script(
    r"(?:(?:la|el|tu|su|mi|me|nos|le|votre|ton|ta|son|sa|moi|nous|das|dein|deine|ihr|ihre|"
    r"euer|eure|mir|uns|den|die|a|o|sua|seu|tua|teu|il|tuo|suo|ci|het|je|jouw|uw|de|mij|ons|"
    r"của\s+bạn)\s+|l['\x{2019}]\s*){0,2}"
)
_ASK_OTHER = (
    words("какой", "скажи", "скажите", "назови", "назовите")
    + r"\s+(?:"
    + script("\u0443")  # U+0443 then a pronoun: "that you have"
    + r"\s+\S+\s+)?(?:"
    + words("мне", "свой", "ваш", "твой")
    + r"\s+)?"
    + words("пароль", "секретный ключ")
    + "|"
    + script(
        r"(?:パスワード|システムプロンプト)(?:は|を)(?:何|なに|教え)|"
        r"(?:密码|密碼|系统提示|系統提示)(?:是什么|是什麼)|"
        r"(?:告诉我|告訴我|给我|給我)(?:你的)?(?:密码|密碼|系统提示|系統提示)|"
        r"(?:비밀번호|시스템\s*프롬프트)(?:가|는|를|좀)?\s*(?:뭐|무엇|알려)|"
        r"\bşifre(?:n|niz|si|yi|ni|nizi)?\s+(?:nedir|ne|söyle|ver)\b|"
        r"\bmật\s+khẩu\s+(?:của\s+bạn\s+)?là\s+gì|"
        # the verb last: "wenn Sie mir Ihr Passwort geben", "mij je wachtwoord geven"
        r"\b(?:mir|mij)\s+(?:(?:ihr|ihre|dein|deine|das|je|jouw|uw|het)\s+)?"
        r"(?:passwort|kennwort|wachtwoord)\s+(?:geben|gibst|sagen|sagst|verraten|verrätst|"
        r"schicken|schickst|nennen|nennst|mitteilen|geven|geeft|vertellen|vertelt|sturen)\b"
    )
)

# -- other languages ------------------------------------------------------------------
# Override verbs and objects in the languages written in Latin letters (Spanish, Portuguese,
# Italian, French, German, Dutch, Scandinavian, Polish, Czech, Indonesian, Tagalog).
_ML_VERB = (
    r"\b(?:ignor(?:a|e|ar|en|ez|er|iere|ieren|era|uj|ujte)|zignoruj|olvid(?:a|e|ar|en)|"
    r"esque[cç]a|esquece|desconsider(?:e|a|ar)|descart(?:a|e|ar)|omit(?:a|e|ir)|"
    r"dimentica(?:re)?|dimentichi|trascura|tralascia|oubli(?:e|ez|er)|n[ée]glig(?:e|ez|er)|"
    r"missachte|missachten|verwirf|negeer|negeren|abaikan|lupakan|hiraukan|acuhkan|"
    r"balewalain|zapomnij|pomi[nń]|haz\s+caso\s+omiso|fai\s+abstraction|faites\s+abstraction|"
    r"ne\s+tiens\s+pas\s+compte|ne\s+tenez\s+pas\s+compte|non\s+seguire|no\s+sigas|jangan\s+ikuti)\b"
)
_ML_OBJECT = (
    r"(?:instrucciones|instrucci[oó]n|indicaciones|[oó]rdenes|directrices|reglas|"
    r"instru[cç][õo]es|instru[cç][ãa]o|orienta[cç][õo]es|diretrizes|regras|"
    r"istruzioni|indicazioni|direttive|regole|instructions|consignes|directives|r[èe]gles|"
    r"anweisungen|anweisung|instruktionen|befehle|vorgaben|richtlinien|regeln|"
    r"instructies|aanwijzingen|opdrachten|instruktioner|instruksjoner|anvisningar|"
    r"instruksi|perintah|petunjuk|arahan|tagubilin|instruksyon|"
    r"instrukcje|instrukcji|polecenia|polece[nń]|pokyny|instrukce)"
)
_ML_SAY = (
    r"(?:di|declara|afirma|escribe|imprime|dis|dites|d[ée]clare|d[ée]clarez|affirme|affirmez|"
    r"[ée]cris|[ée]crivez|sag|sage|sagen\s+sie|erkl[äa]re|schreib|schreibe|behaupte|dichiara|"
    r"scrivi|stampa|diga|declare|afirme|escreva|imprima|zeg|schrijf|katakan|tulis|nyatakan)"
)
_IGNORE_ML = "|".join(
    (
        rf"{_ML_VERB}(?:[\s\W]+\w+){{0,5}}?[\s\W]+{_ML_OBJECT}",
        # ignore the page and say ...
        r"\b(?:ignora|ignore|ignorez|ignoriere|ignorieren\s+sie|olvida|oubliez|negeer|abaikan)\s+"
        r"(?:la|el|los|las|esta|este|le|les|cette|ce|die|den|das|diese|il|lo|questa|questo|a|o|"
        r"de|het|deze)\s+(?:\S+\s+){0,2}?(?:y|et|und|e|en|dan)\s+" + _ML_SAY + r"\b",
        # German and Dutch: forget all your ..., the previous instructions ... to ignore
        r"\b(?:vergiss|vergesst|vergessen\s+sie|vergeet)\s+(?:bitte\s+)?(?:alle|all|s[äa]mtliche)?"
        r"\s*(?:deine|die|ihre|eure|diese|je|jouw|de)?\s*(?:\w+\s+)?"
        r"(?:anweisungen|instruktionen|befehle|vorgaben|instructies|aanwijzingen|opdrachten)",
        r"\b(?:vorherigen|bisherigen|obigen|fr[üu]heren|vorigen|vorangegangenen|urspr[üu]nglichen|"
        r"vorige|eerdere|voorgaande)\s+(?:anweisungen|instruktionen|befehle|vorgaben|instructies|"
        r"aanwijzingen|opdrachten)\s+(?:zu\s+|te\s+)?(?:ignorieren|vergessen|missachten|negeren|vergeten)",
        # Turkish, Vietnamese
        r"\b(?:talimat|y[öo]nerge|komut)\w*\s+(?:\S+\s+){0,2}?(?:yok\s+say|g[öo]rmezden\s+gel|unut)",
        r"\bb[ỏo]\s+qua\s+(?:t[ấa]t\s+c[ảa]\s+|m[ọo]i\s+)?(?:c[áa]c\s+|nh[ữu]ng\s+)?"
        r"(?:h[ưu][ớo]ng\s+d[ẫa]n|ch[ỉi]\s+d[ẫa]n|ch[ỉi]\s+th[ịi])\s+(?:tr[ưu][ớo]c|ban\s+[đd][ầa]u|"
        r"ph[íi]a\s+tr[êe]n|c[ũu])",
        # Russian, Ukrainian, Greek (folded as the normalizer folds them)
        words(
            "игнорируй",
            "игнорируйте",
            "проигнорируй",
            "проигнорируйте",
            "забудь",
            "забудьте",
            "отбрось",
            "отбросьте",
            "не обращай внимания на",
            "не обращайте внимания на",
            "ігноруй",
            "ігноруйте",
            "проігноруй",
        )
        + r"\s+(?:\S+\s+){0,3}?"
        + words("инструкци", "указани", "правил", "команд", "директив", "установк", "інструкці")
        + "|"
        + words("предыдущие инструкции", "попередні інструкції", "игнорируй"),
        words("αγνόησε", "αγνοήστε", "ξέχνα", "ξεχάστε", "ξέχασε")
        + r"\s+(?:\S+\s+){0,3}?"
        + words("οδηγίες", "εντολές")
        + "|"
        + words("προηγούμενες οδηγίες"),
        # Arabic, Persian, Hebrew, Hindi, Thai
        words("تجاهل", "تجاهلي", "تجاهلوا", "انس", "أهمل")
        + r"\s+(?:\S+\s+){0,3}?"
        + words("التعليمات", "تعليمات", "الأوامر", "الإرشادات"),
        words("دستورالعمل", "دستورات") + r"\S*\s+(?:\S+\s+){0,3}?(?:را\s+)?" + words("نادیده بگیر"),
        words("התעלם", "התעלמי", "שכח", "שכחי")
        + r"\s+(?:\S+\s+){0,3}?"
        + words("ההוראות", "הוראות", "ההנחיות", "הנחיות"),
        words(
            "पिछले निर्देश",
            "पिछले सभी निर्देश",
            "निर्देशों की अनदेखी",
            "निर्देशों को अनदेखा",
            "निर्देशों को नज़रअंदाज़",
            "निर्देशों को नजरअंदाज",
            "निर्देशों को भूल",
        ),
        words("เพิกเฉย", "ละเว้น", "ไม่ต้องสนใจ") + r"\S{0,4}?" + words("คำสั่ง", "คำแนะนำ"),
        # Chinese, Japanese, Korean
        words(
            "忽略",
            "无视",
            "無視",
            "忽视",
            "忽視",
            "忘记",
            "忘記",
            "忘掉",
            "不要理会",
            "不要理會",
            "不理会",
            "不理會",
            "跳过",
            "跳過",
            "抛开",
            "拋開",
        )
        + r"[^\n\x{3002}!?]{0,10}?"
        + words("指令", "指示", "提示词", "提示詞", "系统提示", "系統提示", "设定", "設定"),
        words("以前", "前", "これまで", "上記", "上", "先", "最初", "今まで", "全て", "すべて")
        + "の"
        + words("指示", "命令", "指令", "プロンプト", "設定")
        + r"(?:を|は)?(?:すべて|全て)?(?:無視|忘れ)|"
        + words("指示", "命令", "指令", "プロンプト")
        + "を(?:すべて|全て)?無視",
        words("이전", "앞의", "위의", "기존", "모든", "지금까지", "지금까지의")
        + r"\s*"
        + words("지시", "지침", "명령", "지시사항", "규칙", "프롬프트", "설정")
        + r"\S{0,3}\s*(?:모두\s*|전부\s*|다\s*)?(?:무시|잊어)|"
        + words("지시", "지침", "명령", "지시사항", "프롬프트")
        + r"(?:을|를|은|는)?\s*(?:모두\s*|전부\s*)?무시",
    )
)
# A negation just before an override verb: "n'oubliez pas", "non dimenticare", "不要忽视".
_ML_NEGATION = (
    r"(?:\b(?:n['\x{2019}]|pas|non|no|not|nie|nicht|jangan|never|nunca|jamais|mai|n[ãa]o|không)|"
    + words("đừng", "не", "不要", "别", "別", "請勿", "请勿", "勿", "不能", "不可")
    + r")\s*"
)


# A negation before a match: "never share your password", "don't give the key".
_DENIED = r"\b(?:never|not|n't|nobody|no\s+one|won't)\b[^.!?]*"


def _dialogue(turns: int) -> str:
    """`turns` alternating speaker labels in one line (`Q:` and `A:`, or `User:` and
    `Assistant:`), the first a question: a made-up dialogue."""
    out = []
    for start, first, second in (
        (r"(?:^|[\s\W])", "Q:", "A:"),
        (r"\b", "(?:User|Human):", "(?:Assistant|AI|Bot):"),
    ):
        labels = [second if i % 2 else first for i in range(turns)]
        out.append(start + r"\s[^\n]*?\s".join(labels) + r"\s")
    return "|".join(out)


_CIPHER_WORDS = (
    r"\b(?:"
    + "|".join(w for word in ("instructions", "password", "previous") for w in rotations(word))
    + r")\b"
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
        "prompt_extraction",
        0.8,
        "asks the reader to reveal or repeat its system prompt or hidden instructions",
        r"\b(?:repeat|print|output|show|display|reveal|recite|write\s+out|dump|disclose|leak|"
        r"tell\s+me|share|paste|what\s+(?:are|were|is|was))\s+(?:(?:me|us)\s+)?(?:(?:your|the|its)\s+"
        r"(?:(?:full|entire|exact|complete)\s+)?(?:<system>|hidden|secret|underlying|meta|pre)[\s-]?"
        r"<prompt>s?|your\s+(?:(?:full|entire|exact|complete|very)\s+)?(?:initial|original|first|full|"
        r"entire|complete)\s+<prompt>|(?:your|the|its)\s+(?:<system>|hidden|secret)\s+"
        r"(?:<instructions>|directives)|(?:your|the|its)\s+pre-?prompt)\b"
        r"|\b(?:repeat|recite|reproduce|echo|print|output)\s+(?:back\s+)?(?:all\s+|everything\s+|"
        r"the\s+(?:text|words|sentences?|lines?|prompt)\s+)?(?:(?:written|shown|you\s+(?:see|saw|were\s+"
        r"given))\s+)?(?:above|before\s+this)\b"
        r"|\b(?:starting|beginning|starts|begins)\s+with\s+(?:the\s+(?:words?|phrase)\s+)?"
        r"[\"'“]?you\s+are\b",
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
        "tells the reader to ignore its instructions or its text, in another language",
        _IGNORE_ML,
        unless_before=_ML_NEGATION,
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
        r"\b(?:<developer>|<dev>|<god>|<admin>|<system>|<override>|unrestricted|unfiltered|"
        r"<jailbreak>)\s+mode\b"
        # Technical modes ("run cmake in debug mode") count only when a person is put in one.
        r"|\b(?:you|i|we)(?:\s+are|'re|'m|\s+am|\s+have|\s+will|\s+now)*\s+(?:now\s+)?(?:in|enter|"
        r"entering|entered|switching\s+to|switched\s+to|operating\s+in|going\s+into)\s+(?:an?\s+|"
        r"the\s+)?['\"]?(?:\w+\s+){0,2}?(?:debug|maintenance|sudo|root|security|verification|test|"
        r"diagnostic)\s+mode\b"
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
        r"|(?m:^\s*(?:<system>|assistant):\s)",  # not `system : tuple`, as numpydoc writes
    ),
    Phrase(
        "role_switch_multilingual",
        0.8,
        "gives the reader a new identity, mode or instructions, in another language",
        r"\b(?:a\s+partir\s+de\s+ahora|desde\s+ahora|de\s+ahora\s+en\s+adelante)\s*,?\s+"
        r"(?:eres|ser[áa]s|act[úu]a|responde|te\s+comportar[áa]s)\b"
        r"|(?:\b[àa]\s+partir\s+de\s+maintenant|\bd[ée]sormais|\bdor[ée]navant)\s*,?\s+"
        r"(?:tu\s+es|tu\s+seras|vous\s+[êe]tes|vous\s+serez|agis|agissez|r[ée]ponds|r[ée]pondez)\b"
        r"|\b(?:ab\s+jetzt|von\s+nun\s+an|ab\s+sofort)\s*,?\s+(?:bist\s+du|antwortest\s+du|"
        r"handelst\s+du|verh[äa]ltst\s+du|sind\s+sie\s+(?:ein|eine)\s+)"
        r"|\b(?:da\s+ora\s+in\s+poi|d['\x{2019}]ora\s+in\s+poi|da\s+adesso)\s*,?\s+"
        r"(?:sei|sarai|agisci|rispondi|ti\s+comporterai)\b"
        r"|\b(?:a\s+partir\s+de\s+agora|de\s+agora\s+em\s+diante)\s*,?\s+"
        r"(?:voc[êe]\s+[ée]|voc[êe]\s+ser[áa]|tu\s+[ée]s|aja|responda|atue)"
        r"|\b(?:vanaf\s+nu|van\s+nu\s+af)\s*,?\s+(?:ben\s+je|ben\s+jij|gedraag\s+je)\b"
        r"|\b(?:mulai\s+sekarang|mulai\s+saat\s+ini|dari\s+sekarang)\s*,?\s+(?:kamu|anda|engkau)\s+"
        r"(?:adalah|akan\s+menjadi|harus\s+bertindak|bertindak)\b"
        r"|\bod\s+teraz\s+(?:jeste[śs]|b[ęe]dziesz)"
        r"|\b(?:mode\s+(?:d[ée]veloppeur|administrateur|dieu|sans\s+restrictions?|sans\s+filtre)"
        r"|modo\s+(?:desarrollador|dios|administrador|sin\s+restricciones|desenvolvedor|deus|"
        r"sem\s+restri[cç][õo]es|sviluppatore)|modalit[àa]\s+(?:sviluppatore|dio|amministratore|"
        r"senza\s+restrizioni)|entwickler-?modus|gott-?modus|admin-?modus|ontwikkelaars?modus|"
        r"mode\s+pengembang|geli[şs]tirici\s+modu|tryb\s+dewelopera)\b"
        r"|\b(?:nuevas|nouvelles|neue|nuove|novas|nieuwe|nowe|yeni)\s+(?:instrucciones|instructions|"
        r"anweisungen|istruzioni|instru[cç][õo]es|instructies|instrukcje|talimatlar)\s*:"
        r"|(?:从现在开始|從現在開始|从现在起|從現在起|从今以后|從今以後)\s*,?\s*你(?:是|就是|将是|將是|扮演)"
        r"|开发者模式|開發者模式|开发人员模式|開発者モード|개발자\s*모드|新的?指令\s*:|新しい指示\s*:"
        r"|새로운\s*지시\s*:|"
        + words("\u0441 этого момента", "отныне")  # \u0441: the Cyrillic es
        + r"\s*,?\s*"
        + words("ты", "вы")
        + r"\s|"
        + words("режим разработчика")
        + "|"
        + words("новые инструкции")
        + r"\s*:",
    ),
    Phrase(
        "no_rules",
        0.7,
        "tells the reader it has no rules or restrictions, or sets a world without them",
        r"\byou\s+(?:now\s+have|no\s+longer\s+have|have|had|will\s+have)\s+no\s+(?:\w+\s+)?"
        r"(?:rules|filters|guidelines|censorship|ethics|morals|ethical\s+\w+|moral\s+\w+)\b"
        r"|\b(?:pretend|imagine|act\s+as\s+(?:if|though)|suppose|assume)\s+(?:that\s+)?you\s+"
        r"(?:have|had|are|were)\s+(?:no|not\s+bound|free\s+(?:of|from)|unrestricted|unfiltered|"
        r"uncensored|without)\b"
        r"|\byou(?:'re|\s+are)?\s+(?:not|no\s+longer|never)\s+(?:bound|restricted|limited|constrained)\s+"
        r"by\s+(?:any\s+|the\s+|your\s+)?(?:\w+\s+)?(?:rules|restrictions|guidelines|policies|filters|"
        r"ethics|programming|principles)\b"
        r"|\b(?:world|universe|society|reality|scenario|game)\s+(?:where|in\s+which)\s+"
        r"(?:there\s+(?:are|is)\s+)?(?:no|zero)\s+(?:rules|restrictions|ethics|morals|censorship|"
        r"guidelines)\b"
        r"|\b(?:you|they|it|dan)\s+(?:do(?:es)?\s+not|don't|doesn't|no\s+longer)\s+(?:have|need)\s+to\s+"
        r"(?:abide\s+by|obey|adhere\s+to)\s+(?:any\s+|the\s+|your\s+)?(?:\w+\s+)?(?:rules|guidelines|"
        r"policies|restrictions|ethics|principles)\b"
        r"|\b(?:without|free\s+(?:of|from))\s+(?:any\s+|all\s+|your\s+)?(?:ethical|moral|content)\s+"
        r"(?:\w+\s+)?(?:restrictions|guidelines|constraints|filters|limitations|boundaries|rules)\b"
        r"|\b(?:uncensored|unfiltered|unrestricted)\s+(?:ai|assistant|model|chatbot)\b",
    ),
    Phrase(
        "rule_acknowledged",
        0.6,
        "acknowledges what the reader was programmed or told not to do, to have it done anyway",
        r"\b(?:I\s+know|I\s+understand|I\s+realize|I'm\s+aware|I\s+am\s+aware|even\s+though|although|"
        r"despite\s+the\s+fact\s+that)\s+(?:that\s+)?you(?:'re|\s+are|\s+were|'ve\s+been|\s+have\s+"
        r"been)?\s+(?:(?:programmed|designed|configured)\s+(?:not\s+)?to|(?:trained|instructed|told)\s+"
        r"not\s+to\s+(?:reveal|disclose|share|tell|discuss|give\s+out|answer))\b",
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
        rf"\b{_CODE_BLOCK}\b"
        # "use it in your code" is how documentation speaks: only "into" or "within" count
        rf"|\b(?:into|within)\s+(?:the\s+\w+\s+of\s+)?{_YOUR_WORK}\b"
        rf"|\b(?:<execute>|eval)\s+(?:the\s+)?(?:following|this|below)\s+(?:code|script)\b",
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
        r"print|write|disclose|leak|spell|encode|hint|contains?|recite|reverse)\b"
        r"(?:[\s\W]+\w+){0,6}?[\s\W]+(?:the\s+|your\s+)?"
        r"(?:<password>|passphrase|pass\s+code|secret\s+(?:key|string|code|word)|api\s+key|"
        r"access\s+code|confidential\s+string|(?:<system>|hidden|secret)\s+<prompt>|"
        r"(?:hidden|secret)\s+<instructions>)\b"
        # in other languages
        + f"|{_ASK_LATIN}{_ARTICLES}(?:{_SECRET_LATIN}|password|passcode|{_SYSTEM_PROMPT_LATIN})"
        + f"|{_ASK_OTHER}",
        unless_before=_DENIED,
    ),
    Phrase(
        "secret_word",
        0.3,
        "names a password, secret key or the system prompt in another language",
        rf"\b{_SECRET_LATIN}|{_SECRET_OTHER}|{_SYSTEM_PROMPT_LATIN}",
        unless_before=_DENIED,
    ),
    Phrase(
        "personal_data_request",
        0.5,
        "asks for another person's personal data",
        r"\b(?:tell|give|show|send|list|print)\s+me\b(?:[\s\W]+\w+){0,5}?[\s\W]+"
        r"(?:birth\s*date|date\s+of\s+birth|birth\s+(?:year|day|month)|home\s+address|"
        r"e-?mail\s+address|phone\s+number|bank\s+balance|social\s+security|city\s+of\s+residence)\b"
        r"|\bwhere\s+(?:does|do)\s+(?:the\s+user|\w+(?:\s+\w+)?)\s+(?:currently\s+)?live\b"
        r"|\bthe\s+user'?s\s+(?:birth|email|e-mail|favorite|address|phone|password|name)"
        # where does the user live, in other languages
        r"|"
        + script(
            r"(?:(?:usu[áa]rio|usuario|utilisateur|benutzer|nutzer|utente|gebruiker|pengguna|"
            r"kullanici|użytkownik)"
        )
        + "|"
        + words("пользовател", "用户", "用戶", "ユーザー", "사용자")
        + r")\S*\s*(?:\S+\s+){0,3}?(?:"
        + script(
            r"mora\b|vive\b|reside\b|habite\b|wohnt\b|lebt\b|woont\b|tinggal\b|ya[şs]iyor|mieszka\b"
        )
        + "|"
        + words("живет", "живёт", "проживает", "住在", "住んで", "살고", "거주")
        + r")|(?:\bdónde|\bdonde|\boù|\bwo|\bdove|\bwaar|\bonde|"
        + words("где")
        + r")\s+(?:\S+\s+){0,2}?(?:vive|reside|habite|vit|wohnt|lebt|woont|mora|"
        + words("живет", "живёт", "проживает")
        + r")\s+(?:\S+\s+)?(?:l['\x{2019}])?(?:usuario|utilisateur|benutzer|nutzer|utente|gebruiker|"
        + script("usu[áa]rio|")
        + words("пользовател")
        + ")"
        + script(
            # the user's birth date, e-mail, address, ...
            r"|\b(?:nacimiento|correo|e-?mail|electr[óo]nico|direcci[oó]n|tel[ée]fono|ciudad)\s+"
            r"del\s+usuario|\b(?:naissance|e-?mail|courriel|adresse|t[ée]l[ée]phone|ville)\s+"
            r"de\s+l['\x{2019}]utilisateur|\b(?:geburts\w*|e-?mail\S*|adresse|telefon\w*|"
            r"wohnort)\s+(?:des|der)\s+(?:benutzers|nutzers|benutzerin|nutzerin)|\b(?:nascita|e-?mail|"
            r"indirizzo|telefono|città)\s+dell['\x{2019}]utente|\b(?:nascimento|e-?mail|eletr[ôo]nico|"
            r"endereço|telefone|cidade)\s+do\s+usuário|\b(?:geboorte\w*|e-?mail\w*|"
            r"adres|telefoon\w*|woonplaats)\s+van\s+de\s+gebruiker|\b(?:lahir|alamat|"
            r"email|telepon)\s+pengguna|"
        )
        + words("рождения", "почты", "адрес", "телефон")
        + r"\S*\s+(?:\S+\s+)?"
        + words("пользовател")
        + r"|用[户戶]的?(?:生日|出生|电子邮件|電子郵件|邮箱|郵箱|地址|电话|電話|住址)"
        + r"|ユーザーの(?:誕生日|生年月日|メールアドレス|住所|電話番号)"
        + r"|사용자의\s*(?:생일|생년월일|이메일|주소|전화번호)",
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
        r"|\bactually\s*,?\s+(?:can|could|would)\s+you\b"
        # what to repeat, quoted or named: not `--repeat: run the transformation 20 times`
        r"|\brepeat\s+(?:the\s+(?:word|phrase|sentence|following)|this|after\s+me|[\"'][^\n]{1,80}?[\"'])"
        r"[^\n]{0,60}?\b(?:\d+\s+times|"
        r"forever|indefinitely|endlessly|infinitely|over\s+and\s+over)\b",
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
        "decode_and_act",
        0.5,
        "asks the reader to decode hidden text and act on it",
        r"\b(?:decode|decipher|decrypt|unscramble)\b[^.!?\n]{0,80}?\band\s+(?:then\s+)?(?:follow|obey|"
        r"execute|run|do|carry\s+out|perform|act\s+on|answer|respond|reply|comply)\b"
        r"|\b(?:follow|execute|obey|carry\s+out)\s+(?:the\s+)?(?:decoded|hidden|encoded|encrypted)\s+"
        r"(?:<instructions>|<instruction>|message|text|commands?)\b",
    ),
    Phrase(
        "cipher_words",
        0.7,
        "holds a key word (instructions, password, previous) in a Caesar or ROT13 cipher, or backwards",
        _CIPHER_WORDS,
        expand=False,
    ),
    Phrase(
        "leak_format",
        0.4,
        "asks for an answer spelled out, reversed or hidden in another form, as leaks are",
        r"\b(?:letter|character|char|digit)\s+by\s+(?:letter|character|char|digit)\b"
        r"|\bone\s+(?:letter|character|digit)\s+at\s+a\s+time\b"
        r"|\b(?:spell(?:ed|ing)?|spelt|written|(?:write|say|type|print)\s+it)\s+(?:out\s+)?backwards?\b"
        r"|\b(?:spaces?|commas?|dashes|hyphens|dots|asterisks|underscores)\s+(?:in\s+)?between\s+(?:each|every|"
        r"the)\s+(?:letter|character|digit)s?\b"
        r"|\bseparat(?:e|ed|ing)\s+(?:each|every)\s+(?:letter|character|digit)\b"
        r"|\bfirst\s+letters?\s+of\s+(?:each|every)\s+(?:line|word|sentence|paragraph|verse)\b|\bacrostic\b"
        r"|\bwithout\s+(?:directly\s+|explicitly\s+|actually\s+)?(?:saying|stating|revealing|writing|"
        r"mentioning|naming|using)\s+(?:it|the\s+(?:word|password|secret|answer)\s+(?:itself|directly|"
        r"explicitly)|it\s+(?:directly|explicitly))\b",
    ),
    Phrase(
        "few_shot",
        0.4,
        "holds a made-up question-and-answer dialogue",
        _dialogue(3),
    ),
    Phrase(
        "many_shot",
        0.4,
        "holds a made-up dialogue of three turns or more in one line (with `few_shot`: flagged)",
        _dialogue(6),
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
