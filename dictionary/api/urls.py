from django.urls import path

from dictionary.api.views import DictionaryView

urlpatterns = [path("", DictionaryView.as_view(), name="dictionary")]
