"""Safety checks ("Are you OK?"): services, selectors, page and API views, Celery tasks."""
