// Debian builds libxml2 with ICU; its encoding.h then pulls in ICU headers that clash with
// Foundation's _FoundationICU module. Undefining the flag only hides two converter fields at the
// end of xmlCharEncodingHandler: never allocate or read that struct from Swift.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlerror.h>

// xmlFree is a global function-pointer variable, which Swift 6 rejects as unsafe shared state.
static inline void dmarc_xml_free(void *p) { xmlFree(p); }
