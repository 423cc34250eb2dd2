// OpenSSL's libcrypto, for SHA-256 only (it uses the CPU's SHA instructions where present).
#include <openssl/evp.h>
