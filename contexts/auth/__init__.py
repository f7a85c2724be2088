"""Auth & users: accounts, sessions, access tokens, password hashing."""
