from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("home/", views.my_home, name="my_home"),
    path("messages/", views.inbox, name="messages"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.password, name="password"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("activate/", views.activate, name="activate"),
    path("logout/", views.logout_view, name="logout"),
]
