"""The list bench/peers.sh sends through GNU Mailman 3.

Run by `mailman withlist -r mailman_list.setup -l LIST` with N in the
environment: each member gets a personalised copy (as each of the bot's
subscribers gets their own, with their own unsubscribe link), anyone may
post, nothing is archived or held, and N members are subscribed with
verified addresses and no welcome message.
"""
import os

from mailman.config import config
from mailman.interfaces.action import Action
from mailman.interfaces.archiver import ArchivePolicy
from mailman.interfaces.mailinglist import Personalization
from mailman.interfaces.member import MemberRole
from mailman.interfaces.usermanager import IUserManager
from mailman.utilities.datetime import now
from zope.component import getUtility


def setup(mlist):
    n = int(os.environ["N"])
    mlist.personalize = Personalization.individual
    mlist.default_nonmember_action = Action.accept
    mlist.default_member_action = Action.accept
    mlist.archive_policy = ArchivePolicy.never
    mlist.send_welcome_message = False
    mlist.admin_notify_mchanges = False
    mlist.max_message_size = 0
    users = getUtility(IUserManager)
    for i in range(1, n + 1):
        address = users.create_address("reader%07d@example.org" % i, "Reader %d" % i)
        address.verified_on = now()
        mlist.subscribe(address, MemberRole.member, send_welcome_message=False)
        if i % 5000 == 0:
            config.db.commit()
    config.db.commit()
