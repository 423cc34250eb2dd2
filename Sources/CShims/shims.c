#include "CShims.h"

int cshim_gmime_is_multipart(GMimeObject *object) { return GMIME_IS_MULTIPART(object); }
int cshim_gmime_is_message_part(GMimeObject *object) { return GMIME_IS_MESSAGE_PART(object); }
int cshim_gmime_is_part(GMimeObject *object) { return GMIME_IS_PART(object); }

int cshim_inflate_init_auto(z_stream *stream) { return inflateInit2(stream, 15 + 32); }

int cshim_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
