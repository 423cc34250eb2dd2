// libxcrypt: crypt_gensalt_rn and crypt_r, for yescrypt password hashes ("$y$…").
#include <crypt.h>
