from accounts.management.commands._shared_key import CreateSharedKeyCommand
from accounts.roles import KeyPurpose


class Command(CreateSharedKeyCommand):
    help = (
        "Create a relocation key pair (safe-house addresses and referral needs are encrypted to it); its private "
        "key is wrapped to the holder's personal key only. Asks for the holder's password."
    )
    purpose = KeyPurpose.RELOCATION
    word = "relocation"
    holder_help = "Username of the first key holder (a relocation coordinator)."
    next_step = "It is used once a second coordinator holds it: the holder grants it from the key's page in the admin."
