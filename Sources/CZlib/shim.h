#ifndef IAMSCRIBE_CZLIB_SHIM_H
#define IAMSCRIBE_CZLIB_SHIM_H
#include <zlib.h>
#endif
