"""The people who use cdrhub's pages: users and their roles, passwords, sessions, the one-time
set-up link and the audit log. Machinery for the dashboard (a face) and the `users` commands;
it imports the ground and store/ only."""
