/* What the client's two kinds of http(s) connection share: downloads
 * (source.c) and the Mender Server's API (server.c) trust the same extra
 * certificates, check them or not alike, present the same client
 * certificate and show URLs the same way. */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "update.h"

/* The PEM certificates of `file`; -1 with a reason when it cannot be read
 * or holds none. */
static int trusted_load(struct upd_trusted **out, const char *file, char *why, size_t why_size)
{
    *out = NULL;
    BIO *bio = BIO_new_file(file, "r");
    if (!bio) {
        snprintf(why, why_size, "trusted certificates %s: %s", file, strerror(errno));
        return -1;
    }
    STACK_OF(X509_INFO) *certs = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
    BIO_free(bio);
    /* What the reader skipped must not turn up in libcurl's TLS errors. */
    ERR_clear_error();
    int n = 0;
    for (int i = 0; certs && i < sk_X509_INFO_num(certs); i++)
        n += sk_X509_INFO_value(certs, i)->x509 != NULL;
    if (!n) {
        sk_X509_INFO_pop_free(certs, X509_INFO_free);
        snprintf(why, why_size, "trusted certificates %s: no PEM certificate in it", file);
        return -1;
    }
    *out = (struct upd_trusted *)certs;
    return 0;
}

void upd_trusted_free(struct upd_trusted *trusted)
{
    sk_X509_INFO_pop_free((STACK_OF(X509_INFO) *)trusted, X509_INFO_free);
}

/* libcurl's CURLOPT_SSL_CTX_FUNCTION: each new connection trusts them. */
static CURLcode add_trusted(CURL *easy, void *ssl_ctx, void *userdata)
{
    (void)easy;
    STACK_OF(X509_INFO) *certs = userdata;
    X509_STORE *store = SSL_CTX_get_cert_store(ssl_ctx);
    for (int i = 0; i < sk_X509_INFO_num(certs); i++) {
        X509 *cert = sk_X509_INFO_value(certs, i)->x509;
        if (cert && !X509_STORE_add_cert(store, cert))
            return CURLE_SSL_CACERT_BADFILE;
    }
    return CURLE_OK;
}

int upd_tls_setup(void *easy, struct upd_trusted **trusted, const struct upd_config *cfg,
                  char *why, size_t why_size)
{
    *trusted = NULL;
    long verify = cfg->skip_verify ? 0L : 1L;
    if (curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, verify) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, verify * 2) != CURLE_OK ||
        /* As 3.4: one half alone is not used. */
        (cfg->client_certificate && cfg->client_key &&
         (curl_easy_setopt(easy, CURLOPT_SSLCERT, cfg->client_certificate) != CURLE_OK ||
          curl_easy_setopt(easy, CURLOPT_SSLKEY, cfg->client_key) != CURLE_OK))) {
        snprintf(why, why_size, "this libcurl cannot set up TLS as configured");
        return -1;
    }
    if (!cfg->server_certificate)
        return 0;
    if (trusted_load(trusted, cfg->server_certificate, why, why_size) != 0)
        return -1;
    if (curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, add_trusted) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, *trusted) != CURLE_OK) {
        snprintf(why, why_size, "this libcurl cannot trust more certificates (it is not built "
                                "with OpenSSL)");
        return -1;
    }
    return 0;
}

char *upd_url_shown(const char *url)
{
    CURLU *u = curl_url();
    char *shown = NULL, *copy = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &shown, 0) == CURLUE_OK)
        copy = strdup(shown);
    curl_free(shown);
    curl_url_cleanup(u);
    return copy;
}
