"""Sanad reference client: encrypts on this device, submits, follows up. Imports no Django.

Library: `client.api.SanadClient`; command line: `python -m client --help`.
"""
