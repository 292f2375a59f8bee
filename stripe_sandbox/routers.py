SANDBOX_APP = "stripe_sandbox"
SANDBOX_DATABASE = "stripe_sandbox"


class SandboxRouter:
    """Keep the sandbox's tables in their own database, and nothing else there."""

    def db_for_read(self, model, **hints):
        return SANDBOX_DATABASE if model._meta.app_label == SANDBOX_APP else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        if SANDBOX_APP in (obj1._meta.app_label, obj2._meta.app_label):
            return obj1._meta.app_label == obj2._meta.app_label
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == SANDBOX_APP:
            return db == SANDBOX_DATABASE
        if db == SANDBOX_DATABASE:
            return False
        return None
