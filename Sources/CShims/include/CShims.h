// Typed wrappers for what Swift cannot import from the C libraries: function-like macros and
// variadic functions. Nothing else belongs here.
#ifndef DMARC_CSHIMS_H
#define DMARC_CSHIMS_H

#include <gmime/gmime.h>
#include <zlib.h>

// GMIME_IS_* are G_TYPE_CHECK_INSTANCE_TYPE macros.
int cshim_gmime_is_multipart(GMimeObject *object);
int cshim_gmime_is_message_part(GMimeObject *object);
int cshim_gmime_is_part(GMimeObject *object);

// inflateInit2/deflateInit2 are macros that pass the zlib version and struct size.
// windowBits 15+32: accept gzip or zlib headers (auto-detect).
int cshim_inflate_init_auto(z_stream *stream);
// windowBits 15+16: write a gzip member.
int cshim_deflate_init_gzip(z_stream *stream, int level);

#endif
