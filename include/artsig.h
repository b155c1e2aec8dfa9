/** @file
 * libartsig — create, sign and verify Mender Artifacts.
 * Including this header is all a consumer needs: it includes every other
 * public header. Link with `pkg-config --cflags --libs libartsig`. */
#ifndef ARTSIG_H
#define ARTSIG_H

#include <artsig/version.h>
#include <artsig/common.h>
#include <artsig/key.h>
#include <artsig/signature.h>
#include <artsig/manifest.h>
#include <artsig/reader.h>
#include <artsig/signer.h>
#include <artsig/writer.h>
#include <artsig/pkcs11.h>
#include <artsig/remote.h>

#endif
