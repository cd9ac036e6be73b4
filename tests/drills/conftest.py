import pytest

from tests.drills.helpers import Databases, new_secrets


@pytest.fixture
def databases():
    """drill_* databases on the services leg's PostgreSQL, dropped afterwards whatever happens."""
    made = Databases()
    yield made
    made.drop_all()


@pytest.fixture
def drill_secrets():
    """This deployment's secrets, kept apart from its database as the README says."""
    return new_secrets()
