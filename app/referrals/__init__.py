"""Referrals of a client between partners of the network, with the client's referral consent (issue 12)."""
