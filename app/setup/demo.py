"""Deterministic synthetic demo data (``iq demo``): clients, cases, contacts, trainings, funding.

Rows are generated from one seeded random generator and written in bulk (PostgreSQL COPY or Core
executemany, see ``bulk.py``), so a million cases take minutes. Bulk writes bypass the ORM hooks,
so the generator itself keeps every model rule: the funding period contains the opening date, the
client belongs to the case's partner, ages lie between 15 and 80 at opening, ``closed_on`` and
``status`` agree, contacts lie inside the case, client numbers are unique per partner, ``version``
is 1 and the timestamps are set.

Audit: the synthetic rows are not audited one by one (that would double the load for records no
person touched); one audit event records the load itself, its seed and the row counts.

Demo data goes into a database without clients, cases, trainings or funding; otherwise the
command refuses (so running it twice never mixes two data sets).
"""
import random
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.cases.models import Case, Contact, age_band_on
from app.catalogues.models import ReferenceOccupation
from app.clients.consent import Consent, current_text_version
from app.clients.duplicates import match_keys
from app.clients.models import Client
from app.clients.retention import refresh_dates
from app.core.errors import DomainError
from app.core.models import programme_window, utcnow
from app.funding.models import Funding, FundingPeriod
from app.partners.models import Partner
from app.security.models import AuditEvent
from app.setup import demo_data as d
from app.setup.bulk import BulkWriter
from app.trainings.models import Training

NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CHUNK = 50000
EXTRA_CASE_DAYS = 730  # further cases of a client follow the first within two years
ANONYMOUS_EVERY = 12  # every 12th client is counselled anonymously (no names, no consent)
REFERRAL_EVERY = 5  # every 5th client with a counselling consent also agreed to referrals (issue 12)


@dataclass
class DemoCounts:
    clients: int = 0
    consents: int = 0
    cases: int = 0
    contacts: int = 0
    trainings: int = 0
    funding: int = 0


class _Pick:
    """Weighted choice over ``[(value, weight), ...]`` with precomputed cumulative weights."""

    def __init__(self, items):
        self.values = [value for value, _ in items]
        self.cum, total = [], 0
        for _, weight in items:
            total += weight
            self.cum.append(total)

    def __call__(self, rng):
        return rng.choices(self.values, cum_weights=self.cum)[0]


def _pick(mapping):
    return _Pick(list(mapping.items()))


def existing_data(session):
    """Rows already present in the tables the demo fills (non-zero counts only)."""
    counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model))
              for model in (Client, Case, Training, Funding)}
    return {name: n for name, n in counts.items() if n}


class _Generator:
    def __init__(self, session, seed):
        self.rng = random.Random(seed)
        first, last = programme_window()
        self.partners = list(session.scalars(select(Partner).order_by(Partner.code)))
        self.periods = [p for p in session.scalars(select(FundingPeriod).order_by(FundingPeriod.start))
                        if p.start >= first and p.end <= last]
        if not self.partners or not self.periods:
            raise DomainError(_("Partners and funding periods are missing; run “flask iq seed” first."))
        self.end = min(last, date.today())
        weights = {p: d.PARTNER_WEIGHTS.get(p.code, 10) for p in self.partners}
        self.pick_partner = _pick(weights)
        self.pick_period = _pick({p: d.PERIOD_WEIGHTS.get(p.code, 25) for p in self.periods})
        self.pick_citizenship = _pick({code: w for code, (w, _g, _l) in d.CITIZENSHIPS.items()})
        self.picks = {name: _Pick(getattr(d, name)) for name in (
            "GENDERS", "QUALIFICATION_TYPES", "ENQUIRERS", "REFERRAL_SOURCES", "CLOSED_OUTCOMES",
            "OPEN_OUTCOMES", "NOTICE_RESULTS", "CHANNELS", "FOLLOW_UPS", "GERMAN_LEVELS",
            "EMPLOYMENT", "NON_EU_STATUS", "TARGET_INSTITUTIONS")}
        self.occupations = self._occupations_by_type(session)
        self.numbers = set()
        self.text_version = current_text_version(session, "counselling", "de") or "2026-1"

    @staticmethod
    def _occupations_by_type(session):
        """(id, regulated, legal basis, {state: body id}, English name) per qualification type.

        The last digit of the KldB 2010 code is the requirement level: 3–4 need a degree."""
        by_type = {"academic": [], "vocational": [], "master_craftsman": []}
        for occ in session.scalars(select(ReferenceOccupation).order_by(ReferenceOccupation.key)):
            row = (occ.id, occ.regulated, occ.legal_basis,
                   {s: getattr(occ.competent_body_for(s), "id", None) for s in ("MV", "ST")}, occ.name_en)
            level = int(occ.kldb2010[-1]) if occ.kldb2010 else (4 if occ.authority_kind == "zab" else 2)
            by_type["academic" if level >= 3 else "vocational"].append(row)
            if occ.authority_kind == "hwk":
                by_type["master_craftsman"].append(row)
        return by_type

    def period_of(self, day):
        return next(p for p in self.periods if p.start <= day <= p.end)

    def day_in(self, period):
        last = min(period.end, self.end)
        return period.start + timedelta(days=self.rng.randrange((last - period.start).days + 1))

    def stamp(self, day):
        return datetime.combine(day, time(self.rng.randint(8, 16), self.rng.randrange(60)))

    def client_number(self, partner):
        while True:
            number = f"{partner.code[:4].upper()}-" + "".join(self.rng.choices(NUMBER_ALPHABET, k=7))
            if (partner.id, number) not in self.numbers:
                self.numbers.add((partner.id, number))
                return number

    def client(self, client_id):
        """One client row and what its cases need: (row, (id, partner, first day, birth, citizenship))."""
        rng = self.rng
        partner = self.pick_partner(rng)
        first_day = self.day_in(self.pick_period(rng))
        citizenship = self.pick_citizenship(rng)
        _w, group, language = d.CITIZENSHIPS[citizenship]
        gender = self.picks["GENDERS"](rng)
        female = gender == "female" or (gender != "male" and rng.random() < 0.5)
        males, females, families = d.NAMES[group]
        first_name = rng.choice(females if female else males)
        last_name = rng.choice(families)
        if female:
            last_name = d.female_family_name(group, last_name)
        age = min(59, max(18, round(rng.triangular(18, 60, 33))))
        birth = first_day - timedelta(days=round(age * 365.25) + rng.randrange(365))
        eu = citizenship in d.EU_MEMBERS
        residence = rng.choices([partner.state, "other_de", "abroad"], cum_weights=[95, 99, 100])[0]
        status = "abroad" if residence == "abroad" else ("eu_citizen" if eu else self.picks["NON_EU_STATUS"](rng))
        entry = None if residence == "abroad" else max(birth.year + 1, first_day.year - rng.randrange(16))
        born_in = "KZ" if citizenship == "RU" and rng.random() < 0.2 else citizenship
        second = "DE" if status == "german_citizen" else None
        created = self.stamp(first_day)
        row = [
            client_id, partner.id, self.client_number(partner), first_name, last_name, birth, gender,
            citizenship, second, born_in,
            rng.choice(d.DISTRICTS[partner.state]) if residence == partner.state else None,
            residence, entry, status, self.picks["GERMAN_LEVELS"](rng), self.picks["EMPLOYMENT"](rng),
            "de" if rng.random() < 0.55 else language,
            f"+49 {rng.randint(300, 399)} {rng.randint(100000, 9999999)}" if rng.random() < 0.6 else None,
            f"client{client_id}@example.org" if rng.random() < 0.4 else None,
            None, 1, created, created,  # delete_after: refresh_dates below
        ]
        if client_id % ANONYMOUS_EVERY == 0:
            # Counselled anonymously (by phone, no consent): only the statistical fields.
            row[3] = row[4] = row[10] = row[17] = row[18] = None
            consent = None
        else:
            # Names need the counselling consent (app.clients.consent), given at the first contact.
            consent = (client_id, partner.id, "counselling", first_day, self.text_version, "de", "signed_form",
                       None, created, created)
        keys = match_keys(row[3], row[4])  # what Client.validate() stores (the bulk write bypasses it)
        row += [keys.key, keys.skeleton]
        return tuple(row), (client_id, partner, first_day, birth, citizenship), consent

    def case(self, case_id, client, opened):
        rng = self.rng
        client_id, partner, _first, birth, citizenship = client
        kind = self.picks["QUALIFICATION_TYPES"](rng)
        country = citizenship if rng.random() < 0.85 else rng.choice(d.OTHER_QUALIFICATION_COUNTRIES)
        low, high = d.COMPLETION_AGE[kind]
        year = min(opened.year, birth.year + rng.randint(low, high))
        occupation = rng.choice(self.occupations[kind]) if self.occupations.get(kind) else None
        closed = opened + timedelta(days=rng.randint(0, 270))
        if closed > self.end or rng.random() < 0.06:
            closed = None
        if closed:
            outcome = self.picks["CLOSED_OUTCOMES"](rng)
            notice = (self.picks["NOTICE_RESULTS"](rng)
                      if outcome in ("application_filed", "referred_competent_body") and rng.random() < 0.6
                      else None)
        else:
            outcome = self.picks["OPEN_OUTCOMES"](rng)
            notice = "pending" if outcome == "application_filed" else None
        created = self.stamp(opened)
        row = (
            case_id, partner.id, client_id, self.period_of(opened).id, opened, closed,
            "closed" if closed else "open", self.picks["ENQUIRERS"](rng), self.picks["REFERRAL_SOURCES"](rng),
            occupation[4] if occupation else "Secondary school leaving certificate", kind, country, year,
            occupation[0] if occupation else None, occupation[1] if occupation else None,
            occupation[2] if occupation else None, occupation[3][partner.state] if occupation else None,
            outcome, notice, age_band_on(birth, opened), 1, created,
            max(created, self.stamp(closed)) if closed else created,
        )
        return row

    def contacts(self, contact_id, case_id, partner_id, opened, closed):
        rng = self.rng
        last = closed or min(opened + timedelta(days=180), self.end)
        days = sorted(opened + timedelta(days=rng.randint(0, (last - opened).days))
                      for _ in range(self.picks["FOLLOW_UPS"](rng)))
        rows = []
        for n, day in enumerate([opened] + days):
            first = n == 0
            stamp = self.stamp(day)
            rows.append((contact_id + n, case_id, partner_id, day, "first_contact" if first else "follow_up",
                         self.picks["CHANNELS"](rng),
                         rng.randrange(45, 95, 5) if first else rng.randrange(15, 65, 5), stamp, stamp))
        return rows

    def trainings(self, training_id):
        rng = self.rng
        rows = []
        for partner in self.partners:
            for period in self.periods:
                months = (period.end - period.start).days / 30.4
                for _ in range(max(1, round(rng.randint(4, 12) * months / 12))):
                    day = self.day_in(period)
                    stamp = self.stamp(day)
                    rows.append((training_id + len(rows), partner.id, period.id, day, rng.choice(d.TRAINING_TITLES),
                                 self.picks["TARGET_INSTITUTIONS"](rng), Decimal(rng.choice((3, 4, 6, 8, 12, 16))),
                                 rng.randint(4, 14), rng.randint(2, 10), int(rng.random() < 0.05), stamp, stamp))
        return rows

    def funding(self, funding_id, cases):
        """Planned and spent amounts per partner × period × funder; BMAS plans the counselling outputs."""
        rng = self.rng
        total_weight = sum(d.PARTNER_WEIGHTS.get(p.code, 10) for p in self.partners)
        period_weight = sum(d.PERIOD_WEIGHTS.get(p.code, 25) for p in self.periods)
        rows = []
        for partner in self.partners:
            for period in self.periods:
                share = (d.PARTNER_WEIGHTS.get(partner.code, 10) / total_weight
                         * d.PERIOD_WEIGHTS.get(period.code, 25) / period_weight)
                months = (period.end - period.start).days / 30.4
                for funder, (low, high) in (("BMAS", (60, 140)), ("BMBF", (10, 40)), ("BA", (5, 25))):
                    planned = Decimal(round(rng.randint(low, high) * 1000 * months / 12, -2))
                    spent = (planned * Decimal(rng.randint(70 if period.end >= self.end else 85, 100)) / 100
                             ).quantize(Decimal("0.01"))
                    counselling = funder == "BMAS"
                    stamp = self.stamp(period.start)
                    rows.append((funding_id + len(rows), partner.id, period.id, funder, planned, spent,
                                 round(cases * share * 1.05) if counselling else 0,
                                 rng.randint(4, 12) if counselling else 0, stamp, stamp))
        return rows


_CLIENT_COLUMNS = ("id", "partner_id", "client_number", "first_name", "last_name", "birth_date", "gender",
                   "citizenship", "second_citizenship", "country_of_birth", "district", "residence_state",
                   "year_of_entry", "residence_status", "german_level", "employment_status",
                   "counselling_language", "phone", "email", "delete_after", "version", "created_at", "updated_at",
                   "name_key", "name_skeleton")
_CONSENT_COLUMNS = ("client_id", "partner_id", "purpose", "given_on", "text_version", "language", "given_how",
                    "withdrawn_on", "created_at", "updated_at")
_CASE_COLUMNS = ("id", "partner_id", "client_id", "funding_period_id", "opened_on", "closed_on", "status",
                 "enquirer", "referral_source", "qualification_title", "qualification_type",
                 "qualification_country", "qualification_year", "reference_occupation_id", "regulated",
                 "legal_basis", "competent_body_id", "outcome", "notice_result", "age_band", "version", "created_at",
                 "updated_at")
_CONTACT_COLUMNS = ("id", "case_id", "partner_id", "date", "kind", "channel", "minutes", "created_at",
                    "updated_at")
_TRAINING_COLUMNS = ("id", "partner_id", "funding_period_id", "date", "title", "target_institution", "hours",
                     "participants_female", "participants_male", "participants_diverse", "created_at",
                     "updated_at")
_FUNDING_COLUMNS = ("id", "partner_id", "funding_period_id", "funder", "planned_amount", "spent_amount",
                    "planned_cases", "planned_trainings", "created_at", "updated_at")


def load_demo(session, clients=2000, cases=5000, seed=1):
    """Generate and write the demo data in the session's transaction; the caller commits.

    Raises DomainError when the database already holds such data or the reference data is missing.
    """
    if clients < 1 or cases < 0:
        raise DomainError(_("The demo needs at least one client and no negative number of cases."))
    present = existing_data(session)
    if present:
        raise DomainError(_("The database already holds data (%(rows)s); demo data is only loaded into a "
                            "database without clients, cases, trainings and funding.",
                            rows=", ".join(f"{name}: {n}" for name, n in sorted(present.items()))))
    gen = _Generator(session, seed)
    writer = BulkWriter(session.connection())
    tables = [m.__table__ for m in (Client, Case, Contact, Training, Funding)]
    client_table, case_table, contact_table, training_table, funding_table = tables
    counts = DemoCounts()
    first_client = writer.next_id(client_table)
    owners, consents = [], []

    def client_rows():
        for n in range(clients):
            row, owner, consent = gen.client(first_client + n)
            owners.append(owner)
            if consent is not None:
                consents.append(consent)
                if consent[0] % REFERRAL_EVERY == 0:
                    consents.append((consent[0], consent[1], "referral", *consent[3:]))
            yield row

    counts.clients = writer.write(client_table, _CLIENT_COLUMNS, client_rows())
    counts.consents = writer.write(Consent.__table__, _CONSENT_COLUMNS, consents)
    next_case, next_contact = writer.next_id(case_table), writer.next_id(contact_table)
    for start in range(0, cases, CHUNK):
        # Cases and their contacts go out in chunks: bounded memory, contacts after their cases.
        case_rows, contact_rows = [], []
        for n in range(start, min(cases, start + CHUNK)):
            if n < len(owners):
                owner = owners[n]
                opened = owner[2]
            else:
                owner = gen.rng.choice(owners)
                # Within two years of the first case, never past the end (no pile-up on the last day).
                span = min(EXTRA_CASE_DAYS, (gen.end - owner[2]).days)
                opened = owner[2] + timedelta(days=gen.rng.randrange(span + 1))
            row = gen.case(next_case + n, owner, opened)
            contacts = gen.contacts(next_contact, row[0], row[1], opened, row[5])
            next_contact += len(contacts)
            case_rows.append(row)
            contact_rows.extend(contacts)
        counts.cases += writer.write(case_table, _CASE_COLUMNS, case_rows)
        counts.contacts += writer.write(contact_table, _CONTACT_COLUMNS, contact_rows)
    counts.trainings = writer.write(training_table, _TRAINING_COLUMNS, gen.trainings(writer.next_id(training_table)))
    counts.funding = writer.write(funding_table, _FUNDING_COLUMNS, gen.funding(writer.next_id(funding_table), cases))
    writer.finish(tables + [Consent.__table__])
    refresh_dates(session)  # delete_after by the retention rule, from the contacts just written
    session.connection().execute(AuditEvent.__table__.insert(), [dict(
        at=utcnow(), actor="iq demo", action="insert", table_name="demo_data", record_id=f"seed={seed}",
        new_values=asdict(counts),
    )])
    writer.analyse(tables + [Consent.__table__])
    return counts
