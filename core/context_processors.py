from core import roles as portal_roles


def roles(request):
    user_roles = portal_roles.user_roles(getattr(request, "user", None))
    return {
        "user_roles": user_roles,
        "is_manager": portal_roles.MANAGER in user_roles,
        "is_arranger": portal_roles.ARRANGER in user_roles,
        "is_content_admin": portal_roles.CONTENT_ADMIN in user_roles,
        "has_portal_role": portal_roles.has_portal_role(getattr(request, "user", None)),
    }
