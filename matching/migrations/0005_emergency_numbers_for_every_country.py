"""Emergency numbers for every country the country field offers, and the crisis lines known at
launch, with their sources. Staff correct them in the admin (Emergency numbers, Emergency
resources) and record when they checked a country (``checked_at``): none is checked yet."""

from django.db import migrations

SOURCE = (
    "Compiled at launch (December 2026) from general knowledge of each country's emergency "
    "services, as listed in Wikipedia's “List of emergency telephone numbers”; to be checked."
)

# Country code, the number for an ambulance (in many countries the one number for every
# emergency; 112 across the EU and wherever it is the national number), the police's when it
# is another number. An empty first number: no public service there (uninhabited places,
# research stations, a military base): the page says to ask the people in charge on site.
NUMBERS = """
AF 102 119
AX 112
AL 127 129
DZ 14 17
AS 911
AD 112 110
AO 112 113
AI 911
AQ
AG 911
AR 107 911
AM 112
AW 911
AU 000
AT 112
AZ 103 102
BS 911
BH 999
BD 999
BB 511 211
BY 103 102
BE 112
BZ 911
BJ 118 117
BM 911
BT 112 113
BO 118 110
BQ 911
BA 124 122
BW 997 999
BV
BR 192 190
IO
BN 991 993
BG 112
BF 18 17
BI 112
CV 130 132
KH 119 117
CM 119 117
CA 911
KY 911
CF 118 117
TD 18 17
CL 131 133
CN 120 110
CX 000
CC 000
CO 123
KM 18 17
CG 118 117
CK 998 999
CR 911
CI 185 110
HR 112
CU 104 106
CW 911
CY 112
CZ 112
CD 112
DK 112
DJ 18 17
DM 999
DO 911
EC 911
EG 123 122
SV 911
GQ 115 114
ER 114 113
EE 112
SZ 977 999
ET 907 991
FK 999
FO 112
FJ 911
FI 112
FR 112 17
GF 112
PF 15 17
TF
GA 1300 1730
GM 116 117
GE 112
DE 112 110
GH 193 191
GI 112
GR 112
GL 112
GD 911
GP 112
GU 911
GT 128 110
GG 999
GN 18 117
GW 119 117
GY 913 911
HT 116 114
HM
HN 911
HK 999
HU 112
IS 112
IN 112
ID 112 110
IR 115 110
IQ 122 104
IE 112
IM 999
IL 101 100
IT 112
JM 110 119
JP 119 110
JE 999
JO 911
KZ 103 102
KE 999
KI 994 992
KW 112
KG 103 102
LA 195 191
LV 112
LB 140 112
LS 121 123
LR 911
LY 193 1515
LI 112
LT 112
LU 112
MO 999
MG 118 117
MW 998 997
MY 999
MV 102 119
ML 15 17
MT 112
MH 911
MQ 112
MR 101 17
MU 114 999
YT 112
MX 911
FM 911
MD 112
MC 112
MN 103 102
ME 124 122
MS 911
MA 15 19
MZ 117 119
MM 192 199
NA 112 10111
NR 111 110
NP 102 100
NL 112
NC 15 17
NZ 111
NI 128 118
NE 15 17
NG 112
NU 999
NF 000
KP 119 112
MK 194 192
MP 911
NO 113 112
OM 9999
PK 1122 15
PW 911
PS 101 100
PA 911
PG 111 000
PY 911
PE 106 105
PH 911
PN
PL 112
PT 112
PR 911
QA 999
RE 112
RO 112
RU 112
RW 912 112
BL 112
SH 911
KN 911
LC 911
MF 112
PM 15 17
VC 911
WS 911
SM 112
ST 112
SA 997 999
SN 18 17
RS 194 192
SC 999
SL 117 999
SG 995 999
SX 911
SK 112
SI 112
SB 911 999
SO 999 888
ZA 10177 10111
GS
KR 119 112
SS 999
ES 112
LK 1990 119
SD 999
SR 115
SJ 113 112
SE 112
CH 144 117
SY 110 112
TW 119 110
TJ 103 102
TZ 112
TH 1669 191
TL 110 112
TG 118 117
TK
TO 933 922
TT 811 999
TN 190 197
TR 112
TM 03 02
TC 911
TV 911
UG 112
UA 103 102
AE 998 999
GB 999
UM
US 911
UY 911
UZ 103 102
VU 112 111
VA 112
VE 911
VN 115 113
VG 911
VI 911
WF 18 17
EH 15 19
YE 191 199
ZM 991 999
ZW 994 995
"""

# Crisis lines (and other numbers beside the emergency services) known for sure at launch,
# with where each is published. France's 3114 came with 0002; 112 is now in the table above.
RESOURCES = [
    {
        "name": "15 (SAMU)",
        "phone": "15",
        "description_en": "Urgent medical help (SAMU), free, day and night.",
        "description_fr": "Aide médicale urgente (SAMU), gratuit, jour et nuit.",
        "countries": "FR",
        "order": 2,
        "source": "https://www.service-public.fr (numéros d’urgence)",
    },
    {
        "name": "114",
        "phone": "114",
        "description_en": (
            "Emergency number by text message or app, for people who are deaf, hard of hearing "
            "or cannot speak."
        ),
        "description_fr": (
            "Numéro d’urgence par SMS ou application, pour les personnes sourdes, "
            "malentendantes ou qui ne peuvent pas parler."
        ),
        "countries": "FR",
        "order": 3,
        "source": "https://www.info.urgence114.fr",
    },
    {
        "name": "988 Suicide & Crisis Lifeline",
        "phone": "988",
        "description_en": "Suicide and crisis line: call or text, free, day and night.",
        "description_fr": "Ligne de crise et de prévention du suicide : appel ou SMS, gratuit, jour et nuit.",
        "countries": "US",
        "order": 1,
        "source": "https://988lifeline.org",
    },
    {
        "name": "9-8-8 Suicide Crisis Helpline",
        "phone": "988",
        "description_en": "Suicide crisis line: call or text, free, day and night.",
        "description_fr": "Ligne de crise suicidaire : appel ou SMS, gratuit, jour et nuit.",
        "countries": "CA",
        "order": 1,
        "source": "https://988.ca",
    },
    {
        "name": "Samaritans",
        "phone": "116 123",
        "description_en": "Samaritans: someone to talk to, free, day and night.",
        "description_fr": "Samaritans : quelqu’un à qui parler, gratuit, jour et nuit.",
        "countries": "GB,IE",
        "order": 1,
        "source": "https://www.samaritans.org",
    },
    {
        "name": "TelefonSeelsorge",
        "phone": "0800 111 0 111",
        "description_en": "TelefonSeelsorge: someone to talk to, free, day and night.",
        "description_fr": "TelefonSeelsorge : quelqu’un à qui parler, gratuit, jour et nuit.",
        "countries": "DE",
        "order": 1,
        "source": "https://www.telefonseelsorge.de",
    },
    {
        "name": "Lifeline Australia",
        "phone": "13 11 14",
        "description_en": "Lifeline: crisis support and suicide prevention, day and night.",
        "description_fr": "Lifeline : soutien en cas de crise et prévention du suicide, jour et nuit.",
        "countries": "AU",
        "order": 1,
        "source": "https://www.lifeline.org.au",
    },
    {
        "name": "1737 Need to talk?",
        "phone": "1737",
        "description_en": "Need to talk? Call or text 1737, free, day and night.",
        "description_fr": "Besoin de parler ? Appel ou SMS au 1737, gratuit, jour et nuit.",
        "countries": "NZ",
        "order": 1,
        "source": "https://1737.org.nz",
    },
    {
        "name": "113 Zelfmoordpreventie",
        "phone": "0800 0113",
        "description_en": "113 Suicide prevention: free, day and night (also 113).",
        "description_fr": "113 Prévention du suicide : gratuit, jour et nuit (aussi le 113).",
        "countries": "NL",
        "order": 1,
        "source": "https://www.113.nl",
    },
    {
        "name": "La Main Tendue / Die Dargebotene Hand",
        "phone": "143",
        "description_en": "Someone to talk to, day and night.",
        "description_fr": "Quelqu’un à qui parler, jour et nuit.",
        "countries": "CH",
        "order": 1,
        "source": "https://www.143.ch",
    },
    {
        "name": "Telefonseelsorge Österreich",
        "phone": "142",
        "description_en": "Telefonseelsorge: someone to talk to, free, day and night.",
        "description_fr": "Telefonseelsorge : quelqu’un à qui parler, gratuit, jour et nuit.",
        "countries": "AT",
        "order": 1,
        "source": "https://www.telefonseelsorge.at",
    },
    {
        "name": "024",
        "phone": "024",
        "description_en": "Suicidal behaviour line, free, day and night.",
        "description_fr": "Ligne d’aide en cas de pensées suicidaires, gratuit, jour et nuit.",
        "countries": "ES",
        "order": 1,
        "source": "https://www.sanidad.gob.es (Línea 024)",
    },
    {
        "name": "TELL Lifeline",
        "phone": "03-5774-0992",
        "description_en": "TELL Lifeline: free, anonymous support in English.",
        "description_fr": "TELL Lifeline : soutien gratuit et anonyme, en anglais.",
        "countries": "JP",
        "order": 1,
        "source": "https://telljp.com",
    },
]


def add(apps, schema_editor):
    number = apps.get_model("matching", "EmergencyNumber")
    for line in NUMBERS.strip().splitlines():
        code, *phones = line.split()
        emergency, police = (phones + ["", ""])[:2]
        number.objects.update_or_create(
            country=code, defaults={"emergency": emergency, "police": police, "source": SOURCE}
        )
    resource = apps.get_model("matching", "EmergencyResource")
    for fields in RESOURCES:
        resource.objects.get_or_create(name=fields["name"], defaults=fields)
    resource.objects.filter(name="3114").update(source="https://3114.fr")
    # 112 has a row per country now; the old all-Europe entry would show it twice.
    resource.objects.filter(name="112", phone="112").delete()


def remove(apps, schema_editor):
    apps.get_model("matching", "EmergencyNumber").objects.all().delete()
    resource = apps.get_model("matching", "EmergencyResource")
    resource.objects.filter(name__in=[fields["name"] for fields in RESOURCES]).delete()


class Migration(migrations.Migration):
    dependencies = [("matching", "0004_jurisdiction_waiting_list_emergency_numbers")]
    operations = [migrations.RunPython(add, remove)]
