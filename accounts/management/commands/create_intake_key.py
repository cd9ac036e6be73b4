from accounts.management.commands._shared_key import CreateSharedKeyCommand
from accounts.roles import KeyPurpose


class Command(CreateSharedKeyCommand):
    help = (
        "Create an intake key pair; its private key is wrapped to the holder's personal key only. "
        "Asks for the holder's password. Once an active intake key exists, only one of its holders may create another."
    )
    purpose = KeyPurpose.INTAKE
    word = "intake"
    holder_help = "Username of the first key holder (a triage lead)."
    next_step = "It is offered to clients once it has enough holders: grant it with grant_intake_key."
