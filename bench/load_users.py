"""Users for the load run (run by bench/load.sh through `manage.py shell`): LOAD_TRAVELLERS
employees `load-N` and a security manager `load-manager`, all with LOAD_PASSWORD."""

import os

from django.contrib.auth.models import Group, User

from core import roles

password = os.environ.get("LOAD_PASSWORD", "load-test-password")
wanted = [(f"load-{n}", roles.EMPLOYEE) for n in range(int(os.environ["LOAD_TRAVELLERS"]))]
wanted.append(("load-manager", roles.MANAGER))
for username, role in wanted:
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.is_staff = role == roles.MANAGER
    user.save()
    user.groups.set([Group.objects.get(name=role)])
print(f"{len(wanted)} load users ready")
