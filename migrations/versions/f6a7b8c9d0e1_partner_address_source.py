"""Partner addresses need a named source (network.md): column ``address_source``.

The coordinator's address is corrected to the one its announcement gives (migra e.V.,
Waldemarstraße 56, 18057 Rostock). The street addresses shipped earlier for the other partners had
no source: they are cleared where unchanged, so an Admin fills them in (flagged as unverified).

Revision ID: f6a7b8c9d0e1
Revises: e5f6a7b8c9d0
"""
import sqlalchemy as sa
from alembic import op

revision = "f6a7b8c9d0e1"
down_revision = "e5f6a7b8c9d0"
branch_labels = None
depends_on = None

SOURCE = "press release of migra e.V., Rostock, July 2011 (network announcement)"
UNSOURCED = [  # (code, street, postcode) as shipped before, without a source
    ("genres", "Friedrich-Engels-Ring 19", "17033"),
    ("vsp", "Wismarsche Straße 298", "19055"),
    ("hs-wismar", "Philipp-Müller-Straße 14", "23966"),
    ("caritas-md", "Langer Weg 66", "39112"),
    ("agsa", "Schellingstraße 3–4", "39104"),
    ("frohe-zukunft", "Leipziger Chaussee 19", "06112"),
    ("spi", "Große Ulrichstraße 51", "06108"),
]


def upgrade():
    with op.batch_alter_table("partner") as batch:
        batch.add_column(sa.Column("address_source", sa.String(length=300), nullable=True))
    partner = sa.table("partner", sa.column("code"), sa.column("street"), sa.column("postcode"),
                       sa.column("address_source"))
    op.execute(partner.update().where(partner.c.code == "migra", partner.c.street == "Rosa-Luxemburg-Straße 19")
               .values(street="Waldemarstraße 56", postcode="18057", address_source=SOURCE))
    for code, street, postcode in UNSOURCED:
        op.execute(partner.update().where(partner.c.code == code, partner.c.street == street,
                                          partner.c.postcode == postcode).values(street=None, postcode=None))


def downgrade():
    with op.batch_alter_table("partner") as batch:
        batch.drop_column("address_source")
