import os

from django.core.wsgi import get_wsgi_application

from hatta.limits import BodyLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hatta.settings")
application = BodyLimit(get_wsgi_application())
