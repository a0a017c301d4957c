"""The Referrals tab and the directory of services referred to."""
