from django import template

from portal.audit_labels import action_label

register = template.Library()

register.filter("action_label", action_label)
