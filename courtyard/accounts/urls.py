from django.urls import path

from . import views
from .administration.urls import admin_urlpatterns

app_name = "accounts"
urlpatterns = admin_urlpatterns + [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("password/forgot/", views.password_reset_request, name="password_reset"),
    path("password/forgot/code/", views.password_reset_confirm, name="password_reset_confirm"),
    path("profile/", views.profile, name="profile"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/app/", views.two_factor_totp, name="two_factor_totp"),
    path("two-factor/message/", views.two_factor_message, name="two_factor_message"),
    path("two-factor/remove/", views.two_factor_remove, name="two_factor_remove"),
]
