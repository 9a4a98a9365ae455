"""Builders for test records with valid defaults; keyword arguments override any field."""
import itertools
from datetime import date

from app.cases.models import Case, Contact
from app.clients.consent import Consent, ConsentText
from app.clients.models import Client
from app.funding.models import Funding, FundingPeriod
from app.partners.models import Partner
from app.trainings.models import Training

_seq = itertools.count(1)


class Factories:
    def __init__(self, session):
        self.session = session

    def partner(self, code):
        return self.session.query(Partner).filter_by(code=code).one()

    def period(self, code):
        return self.session.query(FundingPeriod).filter_by(code=code).one()

    def client(self, partner="migra", commit=True, consent=True, **fields):
        """A client with names and (unless ``consent=False``) the counselling consent they need;
        ``anonymous()`` builds one without names."""
        n = next(_seq)
        values = dict(first_name=f"Vorname{n}", last_name=f"Nachname{n}", birth_date=date(1980, 5, 17),
                      gender="female", citizenship="SY")
        values.update(fields)
        obj = Client(partner=self.partner(partner), **values)
        if consent:
            obj.consents.append(Consent(purpose="counselling", given_on=date(2011, 7, 1), text_version="2026-1",
                                        language="de", given_how="signed_form"))
        return self._save(obj, commit)

    def anonymous(self, partner="migra", commit=True, **fields):
        values = dict(first_name=None, last_name=None)
        values.update(fields)
        return self.client(partner=partner, commit=commit, consent=False, **values)

    def case(self, client=None, partner="migra", commit=True, **fields):
        client = client or self.client(partner=partner)
        values = dict(opened_on=date(2013, 3, 14), enquirer="self", qualification_title="Bauingenieur",
                      qualification_type="academic", qualification_country="SY", outcome="application_help")
        values.update(fields)
        obj = Case(partner=client.partner, client=client, **values)
        return self._save(obj, commit)

    def contact(self, case, commit=True, **fields):
        values = dict(date=case.opened_on, kind="first_contact", channel="face_to_face", minutes=45)
        values.update(fields)
        return self._save(Contact(case=case, partner=case.partner, **values), commit)

    def training(self, partner="migra", commit=True, **fields):
        values = dict(date=date(2013, 6, 4), title="Interkulturelle Kompetenz im Jobcenter",
                      target_institution="jobcenter", hours=6, participants_female=8, participants_male=5)
        values.update(fields)
        return self._save(Training(partner=self.partner(partner), **values), commit)

    def funding(self, partner="migra", period="2013", funder="BMAS", commit=True, **fields):
        values = dict(planned_amount=100000, spent_amount=80000, planned_cases=300, planned_trainings=10)
        values.update(fields)
        obj = Funding(partner=self.partner(partner), funding_period=self.period(period), funder=funder, **values)
        return self._save(obj, commit)

    def consent(self, client, commit=True, **fields):
        values = dict(purpose="counselling", given_on=date(2013, 3, 14), text_version="2026-1",
                      language="de", given_how="signed_form")
        values.update(fields)
        # A consent names an existing text version (Consent.validate): publish it if a test names a new one.
        key = dict(purpose=values["purpose"], version=values["text_version"], language=values["language"])
        if self.session.query(ConsentText).filter_by(**key).first() is None:
            self.session.add(ConsentText(text=f"Text {values['text_version']}", **key))
        return self._save(Consent(client=client, partner=client.partner, **values), commit)

    def _save(self, obj, commit):
        self.session.add(obj)
        if commit:
            self.session.commit()
        else:
            self.session.flush()
        return obj
