from django import template

from core.audit_labels import action_label, detail_rows

register = template.Library()

register.filter("action_label", action_label)
register.filter("detail_rows", detail_rows)
