"""Access: users and roles, authentication, the audit log and the audit of rule changes."""
