"""Distributions and names behind the synthetic demo data (``iq demo``).

The weights follow what recognition counselling in Mecklenburg-Vorpommern and Sachsen-Anhalt saw in
2011–2014: many Spätaussiedler and EU citizens from Poland, Romania and Bulgaria, Russian and
Ukrainian speakers, Vietnamese, and from 2013 on a growing share from Syria, Afghanistan, Iran and
Iraq. Names are written as in passports (Latin script, with the language's diacritics).
"""

# Share of each funding period in the cases (2011 is half a year; demand grew every year).
PERIOD_WEIGHTS = {"2011": 8, "2012": 22, "2013": 32, "2014": 38}

# Share of each partner in the clients.
PARTNER_WEIGHTS = {"migra": 18, "genres": 12, "vsp": 12, "hs-wismar": 8, "caritas-md": 14,
                   "agsa": 14, "frohe-zukunft": 10, "spi": 12}

# Citizenship → (weight, name group, typical counselling language).
CITIZENSHIPS = {
    "RU": (12, "russian", "ru"), "PL": (10, "polish", "pl"), "UA": (8, "ukrainian", "ru"),
    "VN": (7, "vietnamese", "vi"), "KZ": (7, "russian", "ru"), "SY": (6, "arabic", "ar"),
    "TR": (6, "turkish", "tr"), "RO": (6, "romanian", "ro"), "BG": (5, "bulgarian", "bg"),
    "IR": (5, "persian", "fa"), "AF": (4, "persian", "fa"), "IQ": (4, "arabic", "ar"),
    "BY": (2, "russian", "ru"), "MD": (2, "romanian", "ro"), "AM": (2, "russian", "ru"),
    "AZ": (1, "turkish", "tr"), "EG": (2, "arabic", "ar"), "TN": (1, "arabic", "ar"),
    "MA": (1, "arabic", "ar"), "ES": (3, "spanish", "es"), "GR": (3, "greek", "el"),
    "HU": (2, "hungarian", "hu"), "CN": (3, "chinese", "zh"), "IN": (2, "indian", "en"),
    "BR": (1, "spanish", "pt"), "CM": (1, "french", "fr"),
}
EU_MEMBERS = {"PL", "RO", "BG", "ES", "GR", "HU"}

# Where a qualification was obtained when it was not in the country of citizenship.
OTHER_QUALIFICATION_COUNTRIES = ["RU", "UA", "KZ", "PL", "TR", "SY", "IR", "GB", "US", "FR"]

GENDERS = [("male", 51), ("female", 48), ("not_stated", 0.7), ("diverse", 0.3)]
QUALIFICATION_TYPES = [("academic", 46), ("vocational", 40), ("school", 11), ("master_craftsman", 3)]
# Age when the qualification was completed, per type.
COMPLETION_AGE = {"academic": (23, 28), "vocational": (18, 23), "school": (17, 19),
                  "master_craftsman": (24, 32)}
ENQUIRERS = [("self", 62), ("jobcenter", 12), ("employment_agency", 10), ("social_environment", 8),
             ("employer", 4), ("other", 4)]
REFERRAL_SOURCES = [("jobcenter", 22), ("migration_service", 20), ("employment_agency", 18),
                    ("friends", 17), ("internet", 10), ("chamber", 5), ("media", 4), ("other", 4)]
CLOSED_OUTCOMES = [("referred_competent_body", 30), ("application_help", 22), ("application_filed", 14),
                   ("no_procedure", 12), ("adaptation_qualification", 9), ("language_course", 13)]
OPEN_OUTCOMES = [(None, 50), ("on_hold", 20), ("application_help", 20), ("application_filed", 10)]
NOTICE_RESULTS = [("full", 35), ("partial", 20), ("compensation_measure", 20), ("pending", 12),
                  ("rejected", 8), ("ended_without_decision", 5)]
CHANNELS = [("face_to_face", 60), ("phone", 20), ("email", 10), ("group", 5), ("mobile_outreach", 5)]
FOLLOW_UPS = [(0, 40), (1, 30), (2, 20), (3, 10)]
GERMAN_LEVELS = [("none", 8), ("A1", 14), ("A2", 18), ("B1", 24), ("B2", 18), ("C1", 12), ("C2", 4),
                 ("native", 2)]
EMPLOYMENT = [("unemployed_sgb2", 34), ("unemployed_sgb3", 14), ("employed", 22), ("not_employed", 14),
              ("self_employed", 4), ("in_training", 8), ("other", 4)]
NON_EU_STATUS = [("settlement_permit", 30), ("residence_permit", 34), ("german_citizen", 16),
                 ("asylum_procedure", 8), ("tolerated", 4), ("blue_card", 3), ("other", 5)]

DISTRICTS = {
    "MV": ["Rostock", "Schwerin", "Landkreis Rostock", "Mecklenburgische Seenplatte",
           "Vorpommern-Greifswald", "Vorpommern-Rügen", "Nordwestmecklenburg", "Ludwigslust-Parchim"],
    "ST": ["Magdeburg", "Halle (Saale)", "Dessau-Roßlau", "Harz", "Börde", "Salzlandkreis",
           "Burgenlandkreis", "Saalekreis", "Anhalt-Bitterfeld", "Stendal"],
}

TRAINING_TITLES = [
    "Interkulturelle Kompetenz in der Arbeitsvermittlung",
    "Anerkennungsgesetz und BQFG: Grundlagen für Fachkräfte",
    "Ausländische Berufsabschlüsse erkennen und einordnen",
    "Interkulturelle Kommunikation im Beratungsgespräch",
    "Diversity-Management für Kammern",
    "Migrationsgeschichte und Lebenslagen von Zugewanderten",
]
TARGET_INSTITUTIONS = [("jobcenter", 35), ("employment_agency", 30), ("chamber", 15),
                       ("municipality", 12), ("company", 8)]

# Name group → (male first names, female first names, family names).
NAMES = {
    "russian": (["Alexander", "Sergej", "Dmitrij", "Andrej", "Wladimir", "Jewgenij", "Nikolaj", "Igor"],
                ["Olga", "Tatjana", "Jelena", "Natalja", "Swetlana", "Irina", "Anastasia", "Marina"],
                ["Iwanow", "Smirnow", "Kusnezow", "Popow", "Wolkow", "Sokolow", "Lebedew", "Morosow"]),
    "ukrainian": (["Oleksandr", "Andrij", "Wolodymyr", "Taras", "Mykola", "Serhij"],
                  ["Oksana", "Olena", "Natalija", "Halyna", "Iryna", "Switlana"],
                  ["Schewtschenko", "Kowalenko", "Bondarenko", "Tkatschenko", "Kravtschuk", "Melnyk"]),
    "polish": (["Łukasz", "Paweł", "Krzysztof", "Tomasz", "Michał", "Piotr", "Grzegorz"],
               ["Agnieszka", "Małgorzata", "Katarzyna", "Joanna", "Magdalena", "Ewa", "Anna"],
               ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński"]),
    "vietnamese": (["Minh", "Tuấn", "Hùng", "Dũng", "Quang", "Đức"],
                   ["Lan", "Hương", "Thảo", "Ngọc", "Phương", "Mai"],
                   ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng"]),
    "arabic": (["Mohammed", "Ahmad", "Omar", "Khaled", "Yousef", "Hassan", "Ali", "Mahmoud"],
               ["Fatima", "Amira", "Rania", "Layla", "Noor", "Hiba", "Yasmin", "Samira"],
               ["Al-Hassan", "Haddad", "Khalil", "Mansour", "Nasser", "Saleh", "Darwish", "Hamdan"]),
    "persian": (["Reza", "Ali", "Mehdi", "Hamid", "Farhad", "Ahmad", "Mohammad"],
                ["Maryam", "Zahra", "Leila", "Shirin", "Parisa", "Nasrin", "Fereshteh"],
                ["Ahmadi", "Hosseini", "Karimi", "Rahimi", "Mohammadi", "Rezaei", "Sadeghi"]),
    "turkish": (["Mehmet", "Mustafa", "Emre", "Hüseyin", "Murat", "Cem"],
                ["Ayşe", "Elif", "Zeynep", "Gülşen", "Emine", "Özlem"],
                ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Aydın"]),
    "romanian": (["Ion", "Andrei", "Mihai", "Ștefan", "Cristian", "Florin"],
                 ["Elena", "Ioana", "Mihaela", "Andreea", "Cristina", "Alina"],
                 ["Popescu", "Ionescu", "Constantinescu", "Stoica", "Dumitrescu", "Munteanu"]),
    "bulgarian": (["Georgi", "Ivan", "Dimitar", "Nikolai", "Stojan", "Plamen"],
                  ["Maria", "Desislava", "Elena", "Rossitza", "Galina", "Petja"],
                  ["Georgiev", "Dimitrov", "Petrov", "Ivanov", "Nikolov", "Todorov"]),
    "spanish": (["José", "Javier", "Alejandro", "Pablo", "João", "Rafael"],
                ["María", "Lucía", "Carmen", "Ana", "Beatriz", "Inês"],
                ["García", "Martínez", "Rodríguez", "López", "Fernández", "Silva", "Sánchez"]),
    "greek": (["Georgios", "Konstantinos", "Dimitrios", "Nikolaos", "Ioannis"],
              ["Maria", "Eleni", "Katerina", "Sofia", "Vasiliki"],
              ["Papadopoulos", "Nikolaidis", "Georgiou", "Papadakis", "Oikonomou"]),
    "hungarian": (["László", "István", "Zoltán", "Gábor", "Péter"],
                  ["Katalin", "Erzsébet", "Zsófia", "Ágnes", "Eszter"],
                  ["Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga"]),
    "chinese": (["Wei", "Jun", "Hao", "Lei", "Ming"],
                ["Li", "Xiu", "Mei", "Yan", "Jing"],
                ["Wang", "Zhang", "Liu", "Chen", "Yang", "Zhao"]),
    "indian": (["Rahul", "Amit", "Vikram", "Sanjay", "Arjun"],
               ["Priya", "Anjali", "Sunita", "Deepa", "Kavita"],
               ["Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy"]),
    "french": (["Jean", "Paul", "Emmanuel", "Patrice", "Serge"],
               ["Marie", "Chantal", "Josiane", "Brigitte", "Sandrine"],
               ["Mbarga", "Nkoulou", "Fotso", "Tchoumi", "Ngono", "Kamga"]),
}


def female_family_name(group, name):
    """Slavic family names change their ending for women (Iwanow → Iwanowa, Kowalski → Kowalska)."""
    if group in ("russian", "bulgarian") and name.endswith(("ow", "ew", "in", "ov", "ev")):
        return name + "a"
    if group == "polish" and name.endswith(("ski", "cki")):
        return name[:-1] + "a"
    return name
