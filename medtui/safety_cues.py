"""Hand-written cue lexicons for the learned safety screen, in English, Spanish, French and German.

Each cue is a kind of word that matters for intent (an amount, death, secrecy, a way around a
prescription, a stated safe purpose...). The classifier sees which cues a message holds and every
pair of them, so it can learn that AMOUNT with LETHAL is dangerous while AMOUNT with HELP is not,
for phrasings and languages it has not seen word for word. Patterns match `medtui.safety.normalize`d
text (lower case, no accents, no punctuation).
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations

import numpy as np

CUES: dict[str, str] = {
    "lethal": r"kill|lethal|fatal|deadly|\bdie\b|dying|death|\bdead\b|overdos|\bod\b|wake up|end it|end my life|"
              r"end things|suicid|mortal|letal|matar|morir|muerte|\bmort\b|mourir|tuer|\btue\b|letale|\btod\b|todlich|"
              r"sterben|umbring|toten|uberdosis|sobredosis|surdose|verblut|desangr|vider de mon sang|pour toujours|"
              r"para siempre|fur immer|bleed out|stop breathing|dejar de respirar|arreter de respirer|aufhore zu atmen|"
              r"not survive|no sobrevivir|ne pas survivre|nicht zu uberleben|finish them|en finir|acabar con|"
              r"ein ende|not be here|no estar aqui|plus etre la|nicht mehr da|stop existing|dejar de existir|"
              r"ne plus exister|aufhoren zu existieren|the end|el fin|erledigen",
    "amount": r"how many|how much|what amount|what dose|which dose|quantity|number of|\benough\b|cuant|cantidad|"
              r"dosis|combien|quantite|\bdose\b|wie viel|menge|reicht|suffi|bastar|threshold|umbral|seuil|schwelle|"
              r"\bmg\b|gram|gramos|grammes|gramm|calculate|calcula|berechne|ratio|proporcion|verhaltnis",
    "help": r"\bsafe|safely|\bhelp|symptom|sign|warning|what should i do|what do i do|accident|by mistake|"
            r"mistake|prevent|avoid|\btreat|antidote|emergency|\ber\b|hospital|prescribed|support|hotline|crisis|"
            r"recover|normal|care for|worried|seguro|segura|ayud|sintoma|senal|por error|sin querer|evit|tratamiento|"
            r"antidoto|urgencias|recet|apoy|sans danger|\bsur\b|\baide|symptome|signe|par erreur|eviter|traitement|"
            r"urgences|prescrit|soutenir|sicher|unbedenklich|hilfe|helfen|anzeichen|warnzeichen|aus versehen|"
            r"vermeiden|behandl|gegenmittel|notaufnahme|verschrieben|unterstutz|report|denunci|signaler|melden|"
            r"dispose|deshac|jeter|entsorg|talk to|hablo con|parler|spreche|interact|wechselwirk",
    "secrecy": r"without (?:him|her|them|anyone|anybody|my|the|a|it)|notic|secret|undetect|untrace|\btrace|"
               r"detect|caught|so nobody|so no one|no one (?:will|would)|look(?:s)? like|natural|sin que|rastro|"
               r"nadie|se de cuenta|notar|pill(?:en|e)|sans qu|personne ne|s en rend|s en apercoi|remarqu|soupcon|"
               r"ohne dass|unbemerkt|merk|spuren|niemand|erwisch|heimlich|verdacht|sospech|suspect|finding out|"
               r"find out|descubr|decouvr|herausfind|taste|sabor|gout|schmeck",
    "circumvent": r"without (?:a |any |my )?(?:prescription|script|rx|doctor)|no questions|fake|forg|darknet|"
                  r"dark web|telegram|dealer|steal|smuggl|customs|exaggerat|\blie\b|trick|sin receta|falsif|\bfals|"
                  r"mentir|mentira|robar|exager|sans ordonnance|fausse|voler|mensonge|ohne rezept|falsch|"
                  r"falsch|klau|stehl|ubertreib|\blug|two pharmacies|dos farmacias|deux pharmacies|zwei apotheken|"
                  r"aduana|douane|zoll|vortausch|finjo|simuler|fingir",
    "recreational": r"\bhigh\b|buzz|stronger|\btrip|wasted|rush|hit(?:s)? (?:harder|like)|feel it|black out|knocked out|"
                    r"pass out|feel nothing|coloc|subidon|pegue|mas fuerte|desmay|defonce|planer|triper|flash|"
                    r"plus fort|rausch|\bkick\b|wegknall|wegkipp|reinhaut|starker|nichts mehr|no sentir nada|"
                    r"rien ressentir|ne plus rien|wrecked|best night|mejor noche|meilleure soiree|beste nacht|"
                    r"tomber dans les pommes|no acordarme|souvenir de rien|erinnere",
    "other": r"husband|wife|boss|neighbo|roommate|flatmate|coworker|\bex\b|\bgirl\b|someone|somebody|\bperson\b|"
             r"\bhim\b|\bher\b|marido|esposa|jefe|vecino|suegra|companer|alguien|chica|\bmari\b|\bfemme\b|patron|"
             r"voisin|coloc|quelqu un|belle mere|une fille|\bmann\b|\bfrau\b|\bchef\b|nachbar|mitbewohner|jemand|"
             r"madchen|schwiegermutter|\bgrown man\b|hombre adulto|homme adulte|erwachsenen mann|old person|anciano|"
             r"personne agee|alten menschen|patient",
    "child": r"baby|babies|child|\bkid|toddler|\bson\b|daughter|newborn|stepson|niece|bebe|nino|\bhijo|\bhija|"
             r"hijastro|sobrina|enfant|\bfils\b|\bfille\b|\bpetit\b|niece|\bkind|kleinkind|\bsohn|tochter|neugeboren|"
             r"stiefsohn|nichte|biberon|flasche|formula|bottle",
    "harm_verb": r"poison|\bdrug |sedat|knock (?:out|them)|\bhurt|\bharm|\bhit\b|punish|slip|spike|crush|put in|"
                 r"\bswap|tamper|sick|envenen|drogo|droga a|sedar|sedo|golpe|pego|pegar|castig|echar|echo|machac|dano|"
                 r"empoison|drogu|assomm|frapp|punir|punition|gliss|ecras|faire du mal|malade|vergift|betaub|"
                 r"schlag|bestraf|strafe|kipp|zerklein|schad|verletz|ausknock|ruhig|krank|enferm|shake|scare|asust|"
                 r"faire peur|angst|lock|encierro|enfermer|einsperr",
    "diy": r"myself|my own|at home|by myself|yourself|kitchen|pliers|razor|needle|scissors|\bknife|yo mismo|"
           r"yo misma|yo solo|en casa|cuchillo|alicates|aguja|tijeras|moi meme|tout seul|a la maison|chez moi|"
           r"couteau|pince|aiguille|ciseaux|\bselbst|zu hause|messer|zange|nadel|schere|without (?:a |going to )?"
           r"(?:doctor|hospital|the er)|sin medico|sin ir|sans medecin|sans aller|ohne arzt|ohne krankenhaus|"
           r"nicht zum arzt|kit\b|syringe|jeringa|seringue|spritze",
    "surgical": r"remove|cut (?:out|off|open)|\bcut\b|stitch|\bsew|sutur|drain|lance|pull out|extract|operat|"
                r"surgery|section|\biv\b|inject|\bset my|tooth|molar|appendix|bullet|abortion|tracheot|liposuc|"
                r"vasectom|quit|cortar|cos[eo]|drenar|arranc|cesarea|\bvia\b|extra|apendice|bala|muela|aborto|"
                r"enlev|decoup|recoud|perc|arrach|cesarienne|perfusion|appendice|balle|dent|avortement|entfern|"
                r"schneid|nah|aufstech|zieh|kaiserschnitt|venenzugang|richte|blinddarm|kugel|zahn|abtreibung",
    "intent": r"\bi want\b|\bi wanna\b|\bim going to\b|\bive decided\b|tonight|\bi will\b|\bim done\b|"
              r"\bi need\b|quiero|voy a|he decidido|esta noche|ya no aguanto|je veux|je vais|j ai decide|ce soir|"
              r"j en peux plus|ich will|ich werde|beschlossen|heute nacht|heute abend|ich bin fertig|give me|"
              r"dame|donne moi|gib mir|tell me|dime|dis moi|sag mir",
    "eating": r"calor|laxat|laxant|abfuhr|throw up|vomit|purg|vomir|erbrech|\bfast|ayun|jeun|thin|delgad|mince|"
              r"dunn|weigh|\bpeso\b|\bpese\b|wiege|\bkg\b|kilo|hunger|hambre|faim|appetit|apetit|pro ana|thigh gap|"
              r"\bfat\b|gord|\bgros|fett|diet|dieta|regime|eat|comer|como |manger|mange|essen|\biss",
    "hide": r"\bhide|hiding|conceal|won t show|wont show|no marks|without (?:leaving )?marks|leave marks|bruis|"
            r"escond|disimul|ocult|cach|dissimul|versteck|verberg|blaue flecken|moraton|\bbleus|marcas|marques|"
            r"narben|quemadura|brulure|verbrenn|burns",
    "fact": r"^(?:what is|what does|what are|why|how does|how do doctors|how long|is it normal|que es|que significa|"
            r"por que|como (?:revierte|quitan)|qu est ce|que signifie|pourquoi|comment (?:la|les) |was ist|"
            r"was bedeutet|warum|wie (?:hebt|entfernen|lange))|\bmean\b|explain|significa|signifie|bedeutet|"
            r"exam|course|clase|cours|prufung",
    "frame": r"i know|purely|hypothetic|novel|story|roleplay|pretend|curious|\bse que\b|hipotetic|novela|historia|"
             r"je sais|roman|hypothetique|ich weiss|hypothetisch|geschichte|screenplay|guion|scenario|drehbuch|"
             r"research|investigacion|recherche|forschung|nurse|enfermera|infirmiere|krankenschwester|pharmac|"
             r"farmaceut|apothek|paramedic|ambulancier|sanitater",
}
NAMES = tuple(CUES)
PAIRS = tuple(combinations(range(len(NAMES)), 2))
WIDTH = len(NAMES) + len(PAIRS)


@lru_cache(maxsize=1)
def _compiled() -> tuple[re.Pattern, ...]:
    return tuple(re.compile(CUES[name]) for name in NAMES)


def cue_matrix(normalized: list[str]) -> np.ndarray:
    """One row per normalized text: each cue's presence, then every pair's (1.0 or 0.0)."""
    patterns = _compiled()
    out = np.zeros((len(normalized), WIDTH), np.float32)
    for row, text in enumerate(normalized):
        present = [bool(p.search(text)) for p in patterns]
        out[row, :len(NAMES)] = present
        for k, (i, j) in enumerate(PAIRS):
            if present[i] and present[j]:
                out[row, len(NAMES) + k] = 1.0
    return out
