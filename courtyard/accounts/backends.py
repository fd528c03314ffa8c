"""Authentication backend: staff by username, residents by username or phone."""

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .models import User


class CourtyardBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        user = User.objects.filter(
            Q(username=username) | Q(kind="resident", phone=username)
        ).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing hint
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
