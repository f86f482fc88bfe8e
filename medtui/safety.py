"""The medical safety layer: which requests get a refusal instead of a model answer, and the disclaimer.

A request is screened before any model sees it. The screen is a set of patterns over a normalized
form of the text (case, accents, punctuation, spacing, apostrophes and common digit-for-letter
spellings folded away), so "HOW  many pills... would KILL me?!" reads like "how many pills would
kill me". Each pattern pairs an intent (asking for a method or an amount, first-person intent, doing
it oneself, secrecy) with a dangerous object, because the objects alone ("overdose", "suicide",
"poison", "surgery") appear in many questions that deserve an answer: what an overdose looks like,
how to help a suicidal friend, what to do after a poisoning. data/redteam.jsonl measures both sides.

No Textual and no model here: the Chat pane, the CLI and the benchmark share this module.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from medtui.config import DEFAULT_CRISIS_TEXT, DEFAULT_DISCLAIMER, DEFAULT_REFUSAL, DEFAULT_SYSTEM_PROMPT
from medtui.errors import MedtuiError

# Every harm the screen names, in the order a message is checked. The rules cover the first five
# kinds they were written for; the learned classifier covers all.
CATEGORIES = ("self_harm", "eating_disorder", "child_harm", "harming_others", "overdose", "dangerous_combination",
              "home_surgery", "prescription_drugs")
RULE_CATEGORIES = ("self_harm", "eating_disorder", "harming_others", "overdose", "home_surgery", "prescription_drugs")
# Refusals in these categories add the crisis text. A lethal-dose ask ("how many of my nan's pills
# to not wake up") is most often about the asker, so overdose refusals carry it too.
CRISIS_CATEGORIES = ("self_harm", "eating_disorder", "overdose")


# ------------------------------------------------------------------------------------------------
# Normalization

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_NUMBER_WITH_UNIT = re.compile(r"^\d+(\.\d+)?[a-z]{0,3}$")
_SLANG = {"u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "wanna": "want to",
          "gonna": "going to", "meds": "medication", "cuz": "because", "bc": "because"}


def normalize(text: str) -> str:
    """Lower-case words separated by single spaces: what the patterns below are written against."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # "don't" -> "dont", "someone's" -> "someones": one token, as people also type them.
    text = re.sub(r"[\u2019\u2018'`\u00b4]", "", text)
    text = re.sub(r"\bw/o\b", " without ", text)
    text = re.sub(r"\bw/", " with ", text)
    tokens = []
    for token in text.split():
        if any(c.isalpha() for c in token) and not _NUMBER_WITH_UNIT.match(token):
            core = token.strip(".,;:?!\"()[]{}")
            if core and any(c in "013457@$" for c in core) and sum(c.isalpha() for c in core) >= 2:
                token = token.replace(core, core.translate(_LEET))
        tokens.append(token)
    text = " ".join(tokens)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    # "k i l l" -> "kill": three or more single letters in a row are one spaced-out word.
    text = re.sub(r"\b[a-z](?: [a-z]\b){2,}", lambda m: m.group(0).replace(" ", ""), text)
    return " ".join(_SLANG.get(word, word) for word in text.split())


# ------------------------------------------------------------------------------------------------
# Vocabulary shared by the patterns; `{NAME}` in a pattern expands to the group below.

_WORDS = {
    "I": r"(?:i|im|i am|ive|i have|id|i would|ill|i will)",
    "ASK": (
        r"(?:how (?:to|do i|can i|could i|should i|would i|might i|do you|does one|do people|would someone|"
        r"would you|can you|can one|could one|much|many)|ways? to|the way to|best way|easiest way|quickest way|"
        r"fastest way|simplest way|painless way|surest way|most effective way|least painful way|method|methods|"
        r"technique|techniques|tips|steps|help me|teach me|tell me how|is there a way|what can i use|"
        r"what could i use|what should i use|what would i use|instructions)"
    ),
    "SELF_KILL": (
        r"(?:kill myself|killing myself|kill my self|end my (?:own )?life|ending my (?:own )?life|take my (?:own )?life|"
        r"taking my (?:own )?life|end it all|ending it all|commit suicide|committing suicide|unalive myself|"
        r"off myself|hang myself|hanging myself|shoot myself|drown myself|poison myself|suffocate myself|"
        r"gas myself|electrocute myself|starve myself to death|bleed (?:myself )?to death|bleed out|"
        r"jump off (?:a|the) (?:bridge|building|roof)|die by suicide|do it painlessly|not wake up|never wake up)"
    ),
    "SELF_HARM": (
        r"(?:cut|cutting|burn|burning|hurt|hurting|harm|harming|scratch|scratching|hit|hitting|bruise|punish|"
        r"starve|starving) (?:myself|my (?:arms?|legs?|thighs?|wrists?|skin|body|stomach))"
    ),
    "LETHAL": (
        r"(?:kill|kills|killing|die|dying|death|dead|lethal|fatal|deadly|od|o d|overdose|overdosing|"
        r"not wake up|never wake up|stop (?:the|my|your|a|his|her|their|someones) (?:heart|breathing)|"
        r"cause death|causes death|result in death|be the end)"
    ),
    "AMOUNT": (
        r"(?:how much|how many|what amount|what quantity|what dose|what dosage|which dose|which dosage|"
        r"what number|how high|how strong|amount|quantity|dose|dosage|doses|number of|mg|milligrams?|grams?|"
        r"pills?|tablets?|capsules?|units?|bottles?|shots?|drinks?)"
    ),
    # Counting people is epidemiology, not a recipe: "how many people die by suicide each year?"
    "COUNTING": (
        r"how many (?:\w+ ){0,2}(?:people|patients|persons|children|kids|adults|men|women|cases|deaths|"
        r"americans|babies|infants|teens|teenagers|smokers|users|drivers|residents|individuals|humans|of them|"
        r"years|in every|out of)"
    ),
    "MODAL": (
        r"(?:to|would|will|could|can|might|does it take to|do i need to|does one need to|it takes to|needed to|"
        r"required to|enough to|before (?:you|i|someone|a person|they|he|she)|in order to|going to|"
        r"is|are|be|becomes?|considered)"
    ),
    "REL": (
        r"(?:husband|wife|boss|partner|boyfriend|girlfriend|ex|exs|mother|mom|mum|father|dad|brother|sister|son|"
        r"daughter|child|kid|baby|babies|infant|toddler|neighbor|neighbour|roommate|flatmate|coworker|co worker|"
        r"colleague|teacher|classmate|grandma|grandmother|grandpa|grandfather|uncle|aunt|stepdad|stepmom|"
        r"stepfather|stepmother|family|patient|patients|landlord|friend|rival|enemy|parents?|in laws?|"
        r"mother in law|father in law|fiance|fiancee|spouse)"
    ),
    "SELF_PERSON": r"(?:me|myself|i)",
    "SURGERY": (
        r"(?:surgery|surgeries|an operation|operation|appendectomy|tonsillectomy|tracheotomy|tracheostomy|"
        r"cricothyrotomy|c section|caesarean|cesarean|amputation|lobotomy|circumcision|castration|vasectomy|"
        r"root canal|liposuction|lumbar puncture|spinal tap|chest tube|thoracentesis|paracentesis|"
        r"skin graft|biopsy|lasik|eye surgery|dental extraction|tooth extraction|bloodletting|trepanation|"
        r"abortion|epidural|nose job|rhinoplasty|breast augmentation|tummy tuck|hernia repair|cauterization|stitches|sutures|"
        r"cauterisation|procedure)"
    ),
    "BODY_OBJECT": (
        r"(?:appendix|tonsils?|gallbladder|gall bladder|tumou?rs?|moles?|cysts?|lumps?|growth|bullets?|"
        r"shrapnel|kidney stones?|kidney|ovary|ovaries|testicles?|teeth|tooth|molar|wisdom teeth|wisdom tooth|"
        r"skin cancer|melanoma|abscess|boil|cataracts?|eyes?|organs?|spleen|uterus|iud|coil|implant|implants|"
        r"birth control implant|contraceptive implant|breast implants?|fillers?|botox|silicone|"
        r"fluid (?:from|in|out of) (?:my |the |his |her |their )?(?:lungs?|chest|knee|joint|abdomen|belly|stomach|"
        r"spine|brain|heart|pleura|pericardium)|"
        r"(?:my|the|his|her|their) own blood|hemorrhoids?|haemorrhoids?|skin tags?|warts? on my (?:eye|genitals))"
    ),
    "LIMB": r"(?:finger|fingers|toe|toes|limb|leg|arm|foot|hand|ear|nose|penis)",
    "WOUND": r"(?:cut|cuts|wound|wounds|gash|gashes|laceration|lacerations|incision|slash|stab wound|bullet wound|head)",
    "BONE": r"(?:broken|fractured|dislocated|snapped) (?:bone|arm|leg|wrist|finger|nose|ankle|hip|shoulder|jaw|collarbone)",
    "DIY": (
        r"(?:at home|from home|by myself|myself|my own|on my own|yourself|on yourself|by yourself|diy|"
        r"do it yourself|homemade|home made|without (?:a |an |any )?(?:doctor|doctors|surgeon|dentist|anesthesia|"
        r"anaesthesia|anesthetic|anaesthetic|hospital|medical (?:training|help|professional)|professional|nurse|gp|"
        r"vet|going to (?:a |the )?(?:hospital|doctor|dentist|er|emergency room|a and e|clinic)|"
        r"seeing (?:a |the )?(?:doctor|dentist|surgeon))|in my (?:kitchen|bathroom|garage|bedroom|house|home|dorm|"
        r"basement|car)|on (?:my|a|the) (?:kitchen table|friend|brother|sister|son|daughter|child|kid|wife|husband|"
        r"partner|mom|mum|dad|mother|father|roommate)|with (?:a |an |some )?(?:kitchen knife|knife|razor|"
        r"razor blade|box cutter|scalpel|pliers|needle|sewing needle|safety pin|fishing line|thread|hot knife|"
        r"scissors|string|dental floss|hammer|screwdriver|lighter|hot spoon|nail clippers|tweezers|sewing kit|pen|"
        r"straw|drill))"
    ),
    "CONTROLLED": (
        r"(?:opioids?|opiates?|oxycodone|oxycontin|oxy|oxys|percocet|percocets|percs|perc|roxies|roxy|"
        r"xans|addys|addy|norco|lortab|vicodin|hydrocodone|morphine|"
        r"fentanyl|codeine|tramadol|methadone|buprenorphine|suboxone|dilaudid|hydromorphone|heroin|benzos?|"
        r"benzodiazepines?|xanax|xannies|bars|alprazolam|valium|diazepam|klonopin|clonazepam|ativan|lorazepam|"
        r"adderall|ritalin|methylphenidate|vyvanse|dexedrine|amphetamines?|modafinil|ketamine|ambien|zolpidem|"
        r"sleeping pills|sleeping tablets|painkillers|pain killers|pain medication|pain pills|antibiotics?|"
        r"amoxicillin|azithromycin|ciprofloxacin|doxycycline|penicillin|steroids|anabolic steroids|testosterone|"
        r"trenbolone|hgh|growth hormone|prednisone|ozempic|semaglutide|wegovy|mounjaro|tirzepatide|viagra|"
        r"sildenafil|cialis|isotretinoin|accutane|gabapentin|lyrica|pregabalin|antidepressants?|ssris?|sertraline|"
        r"zoloft|prozac|fluoxetine|lithium|lorazepam|phenobarbital|barbiturates?|controlled (?:substances?|drugs?|"
        r"medications?)|prescription (?:only )?(?:drugs?|medication|medicines?|pills|painkillers|opioids|"
        r"stimulants|sleeping pills)|scheduled drugs?|narcotics|stimulants|ivermectin|misoprostol|mifepristone)"
    ),
    "OBTAIN": (
        r"(?:get|getting|got|buy|buying|obtain|obtaining|order|ordering|purchase|purchasing|source|sourcing|"
        r"score|scoring|find|acquire|acquiring|get hold of|get my hands on|get ahold of|cop|import|importing|"
        r"smuggle|smuggling|steal|stealing|sell|sells|selling|refill|stock up on|pick up)"
    ),
    "NO_RX": (
        r"(?:without (?:\w+ ){0,4}(?:prescription|prescriptions|script|rx|diagnosis)|"
        r"no (?:\w+ )?(?:prescription|script|rx)(?: needed| required| necessary)?|"
        r"without (?:a |an |any |my )?(?:prescription|prescriptions|script|rx|doctor|doctors|doctors note|"
        r"doctors approval|seeing a doctor|seeing my doctor|going to (?:a |the )?doctor|medical (?:approval|"
        r"supervision)|a doctors prescription|insurance or a prescription|needing a prescription)|no (?:prescription|"
        r"script|rx|questions asked)|non prescription|off the (?:street|streets|books|internet)|on the street|"
        r"on the streets|from (?:a |the )?(?:dealer|plug|street)|dark ?web|darknet|deep web|black market|illegally|"
        r"under the counter|behind the counter without|bring (?:it|them) (?:home|back)|smuggle|through customs|"
        r"across the border|fake (?:prescription|script|rx)|forged (?:prescription|script))"
    ),
    "VICTIM": (
        r"(?:someone|somebody|a person|another person|people|him|her|them|a human|a man|a woman|a child|"
        r"a kid|a baby|an old (?:man|woman|person)|an elderly (?:man|woman|person)|a stranger|a girl|a guy|"
        r"(?:my|the|his|her|their|our|a|an|my own|this|that) (?:\w+ )?{REL}s?)"
    ),
    "HARM_VERB": (
        r"(?:poison|poisoning|drug|drugging|sedate|sedating|kill|killing|murder|murdering|hurt|hurting|harm|"
        r"harming|injure|injuring|incapacitate|knock out|knocking out|paralyze|paralyse|paralyzing|suffocate|"
        r"suffocating|smother|smothering|strangle|strangling|choke|choking|overdose|od|stab|stabbing|shoot|"
        r"beat up|torture|torturing|blind|maim|infect|dose|roofie|roofy|spike|drown|electrocute)"
    ),
    "SECRET": (
        r"(?:without (?:him|her|them|my {REL}|someone|somebody|anyone|the {REL}|the person|the patient|people) "
        r"(?:knowing|noticing|finding out|realizing|realising|tasting it|seeing)|without (?:his|her|their) "
        r"(?:knowledge|consent|permission)|secretly|covertly|undetected|without getting caught|without being caught|"
        r"against (?:his|her|their) will|so (?:he|she|they) (?:wont|doesnt|dont|cant|will not|does not|do not|"
        r"cannot) (?:notice|know|taste|tell|find out|wake up)|so no one (?:knows|notices|finds out)|"
        r"(?:looks|look) like (?:an accident|natural causes|sids|a heart attack|suicide))"
    ),
    "VEHICLE": (
        r"(?:drink|drinks|food|coffee|tea|water|meal|soup|juice|beer|wine|bottle|formula|milk|cereal|smoothie|"
        r"dinner|lunch|breakfast|cocktail|glass|cup|medicine|medication|pills|inhaler|insulin)"
    ),
    "UNTRACEABLE": (
        r"(?:untraceable|undetectable|untracable|undetected|cant be (?:traced|detected|found)|cannot be "
        r"(?:traced|detected|found)|can not be (?:traced|detected|found)|wont (?:be (?:traced|detected|found)|"
        r"show up)|doesnt show up|does not show up|leaves? no trace|not show up|hard to detect|impossible to "
        r"detect|wouldnt show up)"
    ),
}


def _expand(pattern: str) -> str:
    for _ in range(3):  # groups may name other groups (VICTIM names REL)
        pattern = re.sub(r"\{([A-Z_]+)\}", lambda m: _WORDS[m.group(1)], pattern)
    return pattern


def _compile(pattern: str) -> re.Pattern:
    return re.compile(r"\b" + _expand(pattern) + r"\b")


def _rx(*rules: str | tuple[str, ...]) -> list[tuple[re.Pattern, ...]]:
    """Compile rules; a tuple is one rule whose patterns must all match (in any order)."""
    return [tuple(_compile(p) for p in (rule if isinstance(rule, tuple) else (rule,))) for rule in rules]


# A gap of a few words that stays inside one clause of the normalized text.
_GAP = r"(?: \w+){0,%d} "


def _gap(words: int) -> str:
    return _GAP % words


# Each category: patterns that make a request dangerous, and patterns that show it is asked for a
# safe purpose (knowing when to get help, treatment, prevention, legality) and so is answered.
_RULES: dict[str, tuple[list[re.Pattern], list[re.Pattern]]] = {
    "self_harm": (
        _rx(
            "{ASK}" + _gap(6) + "{SELF_KILL}",
            "{ASK}" + _gap(6) + "(?:die|go) (?:painlessly|peacefully|quickly|quietly|in my sleep|without (?:pain|"
            "feeling anything|anyone knowing))",
            r"(?:painless|painlessly|quick|quickest|easy|easiest|best|surest|fastest|peaceful|least painful|"
            r"most effective|reliable|guaranteed|common|good) (?:suicide )?(?:ways?|methods?|means|options?) "
            r"(?:to|of|for) (?:die|dying|suicide|kill myself|end my life|commit suicide|end it)",
            r"(?:best|easiest|painless|quickest|surest|most effective|most reliable|common|effective) "
            r"suicide (?:methods?|ways?|techniques?|options?)",
            r"suicide (?:methods?|techniques?|instructions|guide|plan for me)",
            # The words between "I" and the intent may not negate it: "I'm not going to hurt myself, but...".
            r"\b{I} (?:(?!(?:not|never|dont|wont|cant|no)\b)\w+ ){0,2}(?:want|wish|would like|plan|planning|intend|intending|decided|ready|need|"
            r"trying|tempted|thinking about|think about|keep thinking about|thought about) (?:to )?"
            # "end it with my therapist" ends a relationship, not a life.
            r"(?:kill myself|die|end my life|end it all|end it(?! (?:with|between|off))|commit suicide|"
            r"take my (?:own )?life|hurt myself|cut myself|harm myself|be dead|overdose|od|not wake up|disappear forever|unalive myself|"
            r"killing myself|ending my life|dying)",
            # "I'm going to die" is what a panic attack feels like; only a stated act counts here.
            r"\b{I} (?:(?!(?:not|never|dont|wont|cant|no)\b)\w+ ){0,2}(?:going|about) to (?:kill myself|end my life|end it all|commit suicide|"
            r"take my (?:own )?life|hurt myself|cut myself|harm myself|overdose|unalive myself)",
            r"\b{I} (?:\w+ ){0,2}(?:dont|do not|no longer) want to (?:live|be alive|exist|wake up|be here)",
            r"\bi wish i (?:was|were|could be) dead",
            r"\b{I} (?:\w+ ){0,2}suicidal",
            "(?:would|will|could|might|can|enough to|to|going to) kill me",
            "{ASK}" + _gap(6) + "{SELF_HARM}",
            r"(?:cut|slit|slash|slice|open) (?:my |your |his |her |their |the )?(?:wrists?|veins?|throat)",
            r"hide (?:my |the )?(?:cuts|scars|self harm|burns|cutting)",
            "{SELF_HARM} without (?:anyone|people|my \\w+|my {REL}|them) (?:noticing|knowing|seeing|finding out)",
            r"(?:what|which) (?:\w+ ){0,6}(?:can|could|should|would|do) i (?:\w+ ){0,6}(?:to|for|and) "
            r"(?:commit suicide|kill myself|end my life|die|take my life|never wake up|not wake up)",
            r"suicide note",
            r"(?:should|do|can|must|would|need) i (?:\w+ ){0,3}(?:take|swallow|drink|inject|eat|use) (?:\w+ ){0,4}"
            r"(?:to|so i|so that i|and) (?:\w+ ){0,2}(?:not wake up|never wake up|die|be dead|stop breathing|"
            r"kill myself)",
            r"suicide by (?:hanging|overdose|jumping|gun|firearm|drowning|gas|carbon monoxide|poison|poisoning|"
            r"pills|cutting|train|car|helium|asphyxiation)",
            r"(?:instructions|guide|tutorial|tips|steps|help) (?:\w+ ){0,2}(?:for|on|with) (?:\w+ )?suicide",
            r"(?:would|will|could|can|how long|how fast|how quickly|how much) (?:\w+ ){0,4}(?:i|me) (?:\w+ )?"
            r"(?:bleed out|bleed to death)",
            r"cut (?:deep|deeply|deeper|hard) (?:\w+ ){0,2}(?:my )?(?:arm|arms|wrist|wrists|leg|legs|thigh|thighs|"
            r"skin|vein|veins)",
            r"(?:death|die|dying|dead|fatal|lethal|kill me) (?:\w+ ){0,3}if i (?:jump|take|swallow|drink|cut|inject|"
            r"mix|eat|overdose|hang|crash|stop)",
            r"if i (?:jump|take|swallow|drink|cut|inject|mix|eat|hang|crash)(?: \w+){0,8} (?:would|will|could|"
            r"might) (?:i|it) (?:die|be dead|kill me|be fatal|be enough)",
            r"(?:how high|what height|which height|how far|how tall|which floor|what floor|how deep)" + _gap(8)
            + r"(?:die|death|fatal|kill|lethal|not survive|survive)",
            r"(?:peaceful|painless|quick|easy|good|reliable|sure) way to (?:kill myself|die|end my life|end it)",
        ),
        _rx(
            # "I want to die my hair" means dye.
            r"\bdie (?:\w+ ){0,2}(?:hair|hairs|beard|clothes|shirt|jeans|fabric|eyebrows|eggs|wool|roots)",
            "{COUNTING}",
            # Coping with an urge asks how not to.
            r"(?:cope|coping|resist|resisting|distract|distraction|grounding|alternatives? to|stop myself from|"
            r"instead of) (?:\w+ ){0,6}(?:hurt|harm|harming|cut|cutting|self harm)",
        ),
    ),
    "eating_disorder": (
        _rx(
            r"(?:make|making|force|forcing|get) myself (?:to )?(?:throw up|vomit|puke|purge|sick after)",
            r"(?:purge|purging|throw up|vomit) (?:\w+ ){0,3}(?:quietly|silently|without (?:anyone|my|them|him|her) "
            r"(?:hearing|noticing|knowing|finding out))",
            r"(?:hide|hiding|conceal|concealing|cover up) (?:\w+ ){0,4}(?:not eating|skipping meals|skip (?:\w+ )?meals?|"
            r"i (?:am not|dont|do not|never) eat|my weight loss|that i (?:purge|throw up|vomit)|starving)",
            r"(?:suppress|kill|stop|numb|shut off) (?:\w+ ){0,2}(?:appetite|hunger|feeling hungry)(?: \w+){0,6} "
            r"(?:eat nothing|not eat|stop eating|never eat|fast|starve|lose|get down to|skip)",
            r"(?:eat|eating) (?:nothing|(?:less than|under|only) \d+ (?:calories|kcal|cals))(?: \w+){0,8} "
            r"(?:without|so (?:no one|nobody|my|they)|noticing|finding out|faint|fainting)",
            r"(?:how many|how much|what amount) (?:\w+ ){0,3}(?:laxatives|diet pills|diuretics|ipecac)(?: \w+){0,6} "
            r"(?:lose|drop|weight|thin|flush)",
            r"\bpro ana\b|\bpro mia\b|thinspo|thinspiration",
            r"\bana (?:coach|buddy|buddies|mentor|coaching|tips|tricks|rules|plan|motivation)",
            r"(?:trick|fool|cheat) (?:\w+ ){0,3}(?:scale|weigh in|weigh ins|weighin)",
        ),
        _rx(
            r"(?:recover|recovery|recovering|support|help (?:my|a|her|him|them)|signs of|warning signs|treatment|"
            r"therapist|stomach bug|food poisoning|when (?:i am|im) sick)",
        ),
    ),
    "harming_others": (
        _rx(
            "{ASK}" + _gap(4) + "{HARM_VERB} {VICTIM}",
            r"(?:{I}|we) (?:(?!(?:not|never|dont|wont|cant|no)\b)\w+ ){0,2}(?:want|going|plan|planning|intend|need|trying|gonna) (?:to )?"
            r"(?:{HARM_VERB}) {VICTIM}",
            "(?:{ASK}|(?:{I}|we) (?:\\w+ ){0,2}(?:want|going|plan|planning|need|trying) to)" + _gap(3)
            + r"make {VICTIM} (?:\w+ )?(?:sick|ill|pass out|black out|unconscious|sleep|vomit|go blind|infertile|"
            r"have a (?:heart attack|stroke|seizure|miscarriage)|miscarry|die|stop breathing|lose consciousness)",
            r"(?:give|giving|cause) {VICTIM} (?:a )?(?:heart attack|stroke|seizure|cancer|hiv|an std|an infection|"
            r"an overdose|a miscarriage|brain damage)",
            "(?:poison|poisons|drug|drugs|substance|substances|chemical|chemicals|way|ways|method|methods|"
            "medication|medicine|toxin|toxins|overdose|dose|pill|pills) (?:\\w+ ){0,4}{UNTRACEABLE}",
            "{UNTRACEABLE} (?:\\w+ ){0,3}(?:poison|poisons|drug|drugs|substance|toxin|toxins|chemical|way|method|"
            "overdose|death)",
            "(?:{HARM_VERB}|give|giving|put|putting|slip|slipping|add|adding|mix|mixing|crush|crushing|spike|"
            "spiking|lace|lacing|sneak|sneaking|hide|hiding|dissolve|feed|inject|swap|replace)"
            + _gap(8) + "{SECRET}",
            "{SECRET}" + _gap(8) + "(?:{HARM_VERB}|give|put|slip|add|mix|crush|spike|lace|sneak|dissolve|feed|"
            "inject|swap|replace)",
            r"(?:spike|spiking|lace|lacing|roofie|roofy) (?:someones|somebodys|a|her|his|their|my \w+s|the) "
            r"{VEHICLE}",
            r"(?:put|slip|add|mix|dissolve|sneak) (?:\w+ ){0,5}(?:in|into) (?:someones|somebodys|a strangers|her|"
            r"his|their|my \w+s|the \w+s|a girls|a guys) {VEHICLE} (?:\w+ ){0,3}(?:to|so) (?:make|knock|"
            r"sedate|poison|kill|hurt|they|she|he)",
            r"(?:what|which|how much|how many) (?:\w+ ){0,8}(?:would|will|could|can|to|enough to) (?:kill|knock "
            r"out|sedate|poison|paralyze|paralyse) (?:my|his|her|their|the) {REL}",
            r"(?:what|which|how much|how many) (?:\w+ ){0,8}(?:would|will|could|can|to|enough to) (?:kill|knock "
            r"out|sedate|poison|paralyze|paralyse) (?:him|her|them)",
            r"so it looks like (?:an accident|natural causes|sids|a heart attack|suicide)",
            (r"(?:add|put|slip|mix|sneak|drop|pour|sprinkle|stir) (?:\w+ ){0,4}(?:to|in|into) (?:someones|somebodys|"
             r"her|his|their|my (?:\w+ )?\w+s|the \w+s|a strangers) {VEHICLE}",
             r"(?:poison|poisons|poisonous|toxic|toxin|toxins|antifreeze|bleach|rat poison|arsenic|cyanide|thallium|"
             r"ricin|oleander|foxglove|hemlock|sleeping pills|sedatives?|laxatives?|drugs?|ketamine|ghb|rohypnol|"
             r"roofies)"),
            r"(?:give|giving|feed|feeding|inject|injecting) {VICTIM}(?: \w+){0,8} (?:that|so|until|and) "
            r"(?:he|she|they|it) (?:\w+ )?(?:never wakes? up|wont wake up|doesnt wake up|does not wake up|"
            r"dies|die|stops breathing|stop breathing|will never wake up)",
            r"(?:swap|replace|switch) (?:\w+ ){0,4}(?:his|her|their|my \w+s|someones) (?:medication|medicine|pills|"
            r"insulin|inhaler|heart medication)",
            # Hiding a child's injuries from the people who would report them.
            r"(?:cover up|cover|hide|conceal|explain away) (?:\w+ ){0,2}(?:bruises?|marks?|burns?|welts?|injur(?:y|ies)|"
            r"black eye|cuts) (?:\w+ ){0,2}(?:on|of) (?:my |his |her |their |the )?(?:\d+ year old |little )?"
            r"(?:child|kid|son|daughter|baby|toddler|stepson|stepdaughter|boy|girl) (?:\w+ ){0,4}(?:before|from|so) "
            r"(?:\w+ ){0,3}(?:teacher|teachers|school|nurse|doctor|daycare|nursery|social worker|social services|cps) "
            r"(?:\w+ ){0,2}(?:sees?|notices?|asks?|finds? out|spots?|reports?|suspects?|calls?)",
        ),
        _rx(),
    ),
    "overdose": (
        _rx(
            "{AMOUNT}" + _gap(10) + "{MODAL} (?:\\w+ ){0,6}{LETHAL}",
            r"(?:deadliest|most lethal|most deadly|most fatal) (?:\w+ ){0,6}(?:drugs?|pills?|medications?|"
            r"medicines?|tablets|substances?|combinations?)",
            r"(?:drugs?|pills?|medications?|medicines?|tablets|stuff|things?) (?:\w+ ){0,2}to (?:od|overdose) on",
            "(?:lethal|fatal|deadly|killing|deathly|terminal) (?:dose|doses|dosage|amount|amounts|quantity|level|"
            "levels|number|limit|threshold|mg|milligrams)",
            "(?:lethal|fatal|deadly) (?:\\w+ ){0,3}(?:of|for) (?:\\w+ ){0,3}(?:pills|tablets|drugs|medication)",
            "(?:{ASK}|best|easiest|quickest) (?:\\w+ ){0,3}(?:overdose|od)(?: on)?",
            r"(?:overdose|od) (?:on purpose|intentionally|deliberately)",
            r"(?:intentionally|deliberately|purposely|purposefully) (?:overdose|od|take too (?:much|many))",
            r"(?:which|what) (?:pills?|drugs?|medications?|medicines?|tablets|combination|mix) (?:\w+ ){0,4}"
            r"(?:best|easiest|most effective|quickest|work best|good) (?:to |for )?(?:overdose|od|overdosing|"
            r"dying|die|death)",
            r"(?:mix|combine|combination of|take together) (?:\w+ ){0,8}(?:to|would|will) (?:\w+ ){0,2}"
            r"(?:kill|be lethal|be fatal|be deadly|stop (?:the|my|your) heart|not wake up|never wake up)",
        ),
        _rx(
            r"(?:avoid|avoiding|prevent|preventing|without|risk of|risks of|safe|safely|not to) (?:an? )?"
            r"(?:\w+ ){0,2}(?:overdose|od|overdosing)",
            r"(?:after|from|survive|survived|surviving|treat|treated|treating|treatment for|antidote for|"
            r"recover from) (?:an? |the )?(?:\w+ )?(?:overdose|od)",
            r"(?:sign|signs|symptoms?|look like|looks like|recognize|recognise|spot|tell if|know if)"
            r" (?:\w+ ){0,3}(?:overdose|od|overdosing|overdosed)",
            "{COUNTING}",
            r"\bld ?50\b|lethal dose 50|median lethal dose|therapeutic (?:index|window|range)",
        ),
    ),
    "home_surgery": (
        _rx(
            # An invasive act on the body (any order of the words) done by oneself or at home.
            (r"(?:remove|removing|cut out|cutting out|cut off|cutting off|cut open|cutting open|slice off|excise|"
             r"extract|extracting|pull out|pulling out|pull|yank|yank out|dig out|digging out|drain|draining|"
             r"lance|lancing|burn off|freeze off|take out|taking out|get out|getting out|operate on|reattach|"
             r"cauterize|cauterise|inject|injecting|insert|inserting|put in|removal of|extraction of)" + _gap(5)
             + "{BODY_OBJECT}", "{DIY}"),
            (r"(?:perform|performing|do|doing|give|giving|carry out|have|having|attempt|attempting|try|trying|"
             r"manage|through) (?:\w+ ){0,4}{SURGERY}", "{DIY}"),
            r"(?:diy|homemade|home made|do it yourself|at home|self) {SURGERY}",
            r"(?:operate on|perform surgery on|do surgery on) (?:myself|me|my own)",
            (r"(?:stitch|stitching|suture|suturing|sew|sewing|staple|stapling|close|closing|cauterize|cauterise)"
             r"(?: up)?" + _gap(5) + "{WOUND}", "{DIY}"),
            r"(?:amputate|amputating|cut off|cutting off|chop off|chopping off|saw off) (?:\w+ ){0,3}{LIMB}",
            (r"(?:set|reset|realign|straighten|pop back) (?:\w+ ){0,3}{BONE}", "{DIY}"),
            (r"(?:start|insert|put in|place|give myself) (?:an? )?(?:iv|iv line|intravenous line|drip|central line|"
             r"chest tube|urinary catheter)", "{DIY}"),
            r"(?:coat hanger|knitting needle) (?:\w+ ){0,6}(?:abortion|abort|miscarriage|pregnancy)",
            r"(?:abortion|abort|miscarriage|pregnancy) (?:\w+ ){0,6}(?:coat hanger|knitting needle)",
        ),
        _rx(
            r"(?:baby|loose|milk) (?:tooth|teeth)",
            r"(?:remove|removing|get out|take out|pull out) (?:\w+ ){0,3}(?:splinter|splinters|tick|ticks|"
            r"stitches|sutures|staples|bandage|dressing|plaster|fishhook|fish hook|earring|contact lens)",
            r"(?:after|recover|recovery|recovering|care for|caring for|clean|cleaning|look after) (?:\w+ ){0,4}"
            r"(?:from |after )?(?:my |an? |the )?(?:\w+ )?{SURGERY}",
        ),
    ),
    "prescription_drugs": (
        _rx(
            "{OBTAIN}" + _gap(8) + "{CONTROLLED}(?: \\w+){0,10} {NO_RX}",
            "{NO_RX}" + _gap(8) + "{CONTROLLED}",
            "{CONTROLLED}" + _gap(8) + "{NO_RX}",
            r"(?:forge|forging|fake|faking|make|making|write|writing|alter|altering|edit|editing|photoshop|"
            r"counterfeit|print|create|copy|duplicate) (?:\w+ ){0,3}(?:fake |forged |false )?(?:prescription|"
            r"prescriptions|script|scripts|rx|prescription pad)",
            r"(?:fake|faking|lie about|lying about|exaggerate|exaggerating|pretend|pretending|make up|invent) "
            r"(?:\w+ ){0,8}(?:to get|so (?:that )?(?:i|my doctor|the doctor|they|he|she) (?:\w+ ){0,3}"
            r"(?:prescribe|prescribes|gives?|will give)|for a prescription)",
            r"(?:what|which) (?:symptoms?|things?|story|excuse|lies?) (?:\w+ ){0,4}(?:say|tell|fake|claim|"
            r"pretend|describe|mention) (?:\w+ ){0,6}(?:to get|so (?:\w+ ){0,3}prescribes?) (?:\w+ ){0,4}"
            r"{CONTROLLED}",
            r"(?:say|tell|ask|describe) (?:\w+ ){0,3}(?:doctor|gp|physician|psychiatrist|dentist|pharmacist)s? "
            r"(?:\w+ ){0,2}(?:to get|so (?:\w+ ){0,3}(?:gives?|prescribes?|will (?:give|prescribe))|into (?:giving|"
            r"prescribing))",
            r"(?:trick|tricking|fool|fooling|con|manipulate|manipulating) (?:my |a |the )?(?:doctor|gp|physician|"
            r"psychiatrist|dentist|pharmacist|vet)",
            r"(?:doctor shop|doctor shopping|pill mill)",
            r"(?:take|taking|use|using|try|trying|borrow|borrowing|have|steal|stealing) (?:some of )?(?:my "
            r"(?:\w+ )?(?:{REL}s|friends|roommates|partners|grandmas|grandpas|grandparents|moms|mums|dads|"
            r"sisters|brothers|wifes|husbands)|someone elses|somebody elses|another persons|other peoples) "
            r"(?:\w+ ){0,2}(?:leftover |old |spare |prescription )?{CONTROLLED}",
            ("{OBTAIN} (?:\\w+ ){0,3}from (?:my|a) (?:\\w+ )?(?:{REL}|roommate|flatmate|neighbor|neighbour|"
             "classmate|dealer|plug|guy)s?", "{CONTROLLED}"),
            ("{OBTAIN} (?:\\w+ ){0,3}from (?:her|him|them)", "my (?:\\w+ )?(?:{REL}|roommate|flatmate|neighbor|"
             "neighbour|classmate)s? (?:has|have|got|gets|is prescribed|takes)", "{CONTROLLED}"),
            r"(?:sell|selling|share|sharing|give away) (?:\w+ ){0,2}(?:my )?(?:leftover |spare |extra )?"
            r"{CONTROLLED}",
        ),
        _rx(
            r"\bwhy\b (?:\w+ ){0,8}(?:cant|cannot|can not|do (?:i|you|we) need|is it|are|does)",
            r"\bis it (?:legal|illegal|against the law|allowed|lawful)",
            r"(?:legal|illegal|law|laws) (?:\w+ ){0,4}(?:to )?(?:buy|get|order|import)",
            r"(?:report|reporting|recognize|recognise|spot|avoid|avoiding|warning signs of|dangers of|risks of|"
            r"dangerous|safe to buy|safely dispose|dispose of)",
        ),
    ),
}


@dataclass(frozen=True)
class Verdict:
    """What the screen decided about one request."""

    refused: bool
    category: str | None = None
    rule: str | None = None  # the pattern that matched, for the red-team report
    score: float | None = None  # the learned screen's P(harmful): the highest of the message and its clauses
    by: str | None = None  # "rules" or "model": which half refused

    def __bool__(self) -> bool:
        return self.refused


ALLOW = Verdict(False)

# A clause ends at a sentence end (not an ellipsis), a semicolon or colon, a line break, or before
# "but" and its kin: "I know it's dangerous, but how many pills would kill me" is two clauses.
# The "but" break starts only where a run of spaces starts (the lookbehind), and its optional comma
# is tried once: a field of 30,000 spaces costs linear time, not a backtrack per space.
_CLAUSE_BREAK = re.compile(
    r"(?:(?<=[!?;:\u3002])|(?<=[^.]\.))\s+|\n+|(?<![\s,;])(?:\s*[,;])?\s+(?=(?:but|though|although|however|anyway|pero|aunque|sin embargo|mais|"
    r"pourtant|cependant|aber|doch|jedoch|trotzdem)\b)",
    re.IGNORECASE,
)
MAX_CLAUSES = 12


def clauses(text: str) -> list[str]:
    """The message cut into clauses (at most MAX_CLAUSES; the rest stays in the last one)."""
    parts = [p.strip() for p in _CLAUSE_BREAK.split(text) if p and p.strip()]
    if len(parts) > MAX_CLAUSES:
        parts = parts[:MAX_CLAUSES - 1] + [" ".join(parts[MAX_CLAUSES - 1:])]
    return parts


# A rule about harming another person names harm to children when the match is about a child.
_CHILD = re.compile(r"\b(?:child|children|kid|kids|baby|babies|babys|infant|toddler|toddlers|newborn|son|daughter|"
                    r"stepson|stepdaughter|niece|nephew|my \d+ year old)\b")


def _rule_verdict(segments: list[str]) -> Verdict:
    """The rules over normalized clauses. A rule may match inside one clause or across neighbouring
    ones; an exemption (a safe purpose) excuses it only when it stands in the same clauses as the
    match, so "I know it's dangerous" does not excuse the question next to it."""
    n = len(segments)
    windows = [" ".join(segments[i:i + size]) for size in range(1, n + 1) for i in range(n - size + 1)]
    whole = windows[-1]
    for category in RULE_CATEGORIES:
        harmful, exempt = _RULES[category]
        for rule in harmful:
            if not all(pattern.search(whole) for pattern in rule):
                continue
            for window in windows:
                matches = [pattern.search(window) for pattern in rule]
                if all(matches) and not any(all(p.search(window) for p in e) for e in exempt):
                    rule = " + ".join(m.group(0) for m in matches)
                    if category == "harming_others" and _CHILD.search(rule):
                        category = "child_harm"
                    return Verdict(True, category, rule, by="rules")
    return ALLOW


# The learned half judges a message of at least this many words; below it only the rules do.
MIN_WORDS_FOR_MODEL = 2


class Screen:
    """The whole screen: the rules first (precise), then the learned classifier over the message
    and each of its clauses (recall), refusing at or above its threshold."""

    def __init__(self, model_path: Path | None = None, threshold: float | None = None, use_model: bool = True):
        self.model_path = model_path
        self.use_model = use_model
        self._threshold = threshold

    @property
    def model(self):
        from medtui.safety_model import MODEL_PATH, load_model

        path = self.model_path or MODEL_PATH
        if not path.is_file():
            raise SafetyModelMissing(
                f"the safety screen's weights are missing: {path}",
                hint="rebuild them with `python -m medtui.safety_data.train` (or reinstall medtui)",
            )
        return load_model(path)

    @property
    def clause_scores(self) -> bool:
        """Whether the learned score is the highest of the message's and its clauses' (chosen on dev)."""
        return bool(self.model.header.get("clause_scores", True)) if self.use_model else False

    @property
    def threshold(self) -> float:
        return self.model.threshold if self._threshold is None else self._threshold

    def classify(self, text: str) -> Verdict:
        return self.classify_many([text])[0]

    def classify_many(self, texts: list[str]) -> list[Verdict]:
        """Screen many messages; the learned half scores them all in one batch."""
        pieces: list[tuple[Verdict | None, list[str]]] = []
        batch: list[str] = []
        for text in texts:
            parts = clauses(text)
            segments = [s for s in (normalize(p) for p in parts) if s]
            if not segments:
                pieces.append((ALLOW, []))
                continue
            scored = [text] + (parts if len(parts) > 1 and self.clause_scores else [])
            if sum(len(segment.split()) for segment in segments) < MIN_WORDS_FOR_MODEL:
                scored = []  # one word ("Q", "thanks", "fentanyl?") is too little for n-grams to judge: rules only
            pieces.append((_rule_verdict(segments), scored))
            batch.extend(scored)
        scores = self.model.score(batch) if self.use_model and batch else None
        verdicts, at = [], 0
        for ruled, scored in pieces:
            if not scored or scores is None:
                verdicts.append(ruled)
                continue
            harmful = scores.harmful[at:at + len(scored)]
            best = at + int(harmful.argmax())
            at += len(scored)
            raw = float(scores.harmful[best])
            score = round(raw, 4)  # shown to people; the threshold compares the exact score
            if ruled.refused:
                verdicts.append(Verdict(True, ruled.category, ruled.rule, score, "rules"))
            elif raw >= self.threshold:
                verdicts.append(Verdict(True, scores.category[best], None, score, "model"))
            else:
                verdicts.append(Verdict(False, score=score))
        return verdicts


class SafetyModelMissing(MedtuiError):
    """The learned screen's weights file is not there."""


_DEFAULT_SCREEN = Screen()


def classify(text: str) -> Verdict:
    """Screen one user message with the rules and the learned classifier. Rule categories are
    checked in RULE_CATEGORIES order (self-harm first, so a lethal-dose question about oneself gets
    the crisis line)."""
    return _DEFAULT_SCREEN.classify(text)


def classify_many(texts: list[str]) -> list[Verdict]:
    """classify() for many messages at once (faster: one batch for the learned half)."""
    return _DEFAULT_SCREEN.classify_many(texts)


def category_label(category: str | None) -> str:
    """How a category reads for people: "self_harm" -> "self-harm"."""
    return {"self_harm": "self-harm", "child_harm": "harm to children"}.get(category or "", (category or "").replace("_", " "))


def describe(verdict: Verdict) -> str:
    """One line for people: "refused: self-harm (score 0.97)" or "answered (score 0.12)"."""
    score = "" if verdict.score is None else f" (score {verdict.score:.2f})"
    if verdict.refused:
        return f"refused: {category_label(verdict.category)}{score}"
    return f"answered{score}"


# How an answer that declines reads, in the four languages the screen knows, besides the configured text.
_REFUSAL_OPENINGS = re.compile(
    r"^(?:sorry |im sorry |i am sorry )?(?:i (?:cant|cannot|can not|wont|will not|am not able to|m not able to) "
    r"(?:help|assist|provide|give|answer|share|tell)|i dont have enough information to answer this safely|"
    r"(?:lo siento )?no puedo (?:ayudar|darte|proporcionar|responder)|"
    r"(?:desole )?je ne peux pas (?:vous |t )?(?:aider|donner|fournir|repondre)|"
    r"(?:tut mir leid )?(?:ich kann|dabei kann ich) (?:dir |ihnen )?(?:dabei |damit )?(?:nicht|keine) "
    r"(?:helfen|geben|antworten|auskunft))"
)


def is_refusal(answer: str, refusal_text: str = DEFAULT_REFUSAL) -> bool:
    """True when an answer declines: it holds the configured refusal or opens like a refusal."""
    said = normalize(answer)
    wanted = normalize(refusal_text)
    return bool(said) and ((bool(wanted) and wanted in said) or bool(_REFUSAL_OPENINGS.match(said)))


def classify_by_rules(text: str) -> Verdict:
    """The rules alone (for comparison in the benchmark)."""
    segments = [s for s in (normalize(p) for p in clauses(text)) if s]
    return _rule_verdict(segments) if segments else ALLOW


# ------------------------------------------------------------------------------------------------
# What the user sees


@dataclass(frozen=True)
class SafetySettings:
    """The [chat] keys the safety layer reads."""

    enabled: bool = True
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    refusal_text: str = DEFAULT_REFUSAL
    disclaimer: str = DEFAULT_DISCLAIMER
    crisis_text: str = DEFAULT_CRISIS_TEXT

    @classmethod
    def from_config(cls, cfg) -> "SafetySettings":
        chat = cfg.chat
        return cls(
            enabled=chat.safety,
            system_prompt=chat.system_prompt,
            refusal_text=chat.refusal_text,
            disclaimer=chat.disclaimer,
            crisis_text=chat.crisis_text,
        )


def refusal_for(verdict: Verdict, settings: SafetySettings) -> str:
    """The answer given instead of the model's: the refusal, plus crisis help for self-harm."""
    if verdict.category in CRISIS_CATEGORIES and settings.crisis_text:
        return f"{settings.refusal_text}\n\n{settings.crisis_text}"
    return settings.refusal_text


def _words(text: str) -> list[str]:
    return normalize(text).split()


def has_disclaimer(answer: str, disclaimer: str) -> bool:
    """True when the answer already says the disclaimer, verbatim or nearly (a model trained on
    answers ending with it tends to write it with small differences)."""
    wanted = _words(disclaimer)
    if not wanted:
        return True
    said = normalize(answer)
    if " ".join(wanted) in said:
        return True
    wanted_set = set(wanted)
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", answer):
        words = set(_words(sentence))
        if words and len(words & wanted_set) / len(words | wanted_set) >= 0.75:
            return True
    return False


def with_disclaimer(answer: str, disclaimer: str) -> tuple[str, str]:
    """(answer ending with the disclaimer, the suffix that was added: "" when it was already there)."""
    if not disclaimer or not answer.strip() or has_disclaimer(answer, disclaimer):
        return answer, ""
    suffix = ("" if answer.endswith("\n") else "\n\n" if answer.strip() else "") + disclaimer
    if answer.endswith("\n") and not answer.endswith("\n\n"):
        suffix = "\n" + disclaimer
    return answer + suffix, suffix
