#ifndef IAMSCRIBE_CPCAP_SHIM_H
#define IAMSCRIBE_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
