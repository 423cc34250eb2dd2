// libmaxminddb: country and AS facts from an MMDB file (IPinfo Lite, DB-IP Lite, GeoLite2).
#include <maxminddb.h>
