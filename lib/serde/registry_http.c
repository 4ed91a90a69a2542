/* registry_http.c - the registry's REST API over libcurl (Confluent's
 * RestService): the comma-separated URLs are tried in turn (starting with
 * the one that answered last), connection failures, timeouts and 5xx
 * answers are retried with exponential backoff up to
 * schema.registry.max.retries, then reported naming the URL and the cause.
 * Basic auth and TLS settings go to curl as they are. Messages never show
 * credentials. */
#include "serde/registry.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BODY (16u << 20)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void) {
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* "http://user:pass@host:port" -> "http://host:port" for messages. */
static void display_url(const char *url, char *out, size_t size) {
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    const char *at = strchr(host, '@');
    const char *slash = strchr(host, '/');

    if (at && (!slash || at < slash))
        snprintf(out, size, "%.*s%s", (int)(host - url), url, at + 1);
    else
        snprintf(out, size, "%s", url);
}

int ks_registry_http_init(kstream_avro_registry_t *reg, char *errstr,
                          size_t errstr_size) {
    const char *p = reg->conf->url;
    size_t n = 1, i;

    for (i = 0; p[i]; i++)
        n += p[i] == ',';
    reg->urls = calloc(n, sizeof(char *));
    if (!reg->urls) {
        ks_errstr(errstr, errstr_size, "out of memory");
        return -1;
    }
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        char *u;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '/'))
            e--;
        p += len + (p[len] == ',');
        if (s == e)
            continue;
        u = strndup(s, (size_t)(e - s));
        if (!u) {
            ks_errstr(errstr, errstr_size, "out of memory");
            return -1;
        }
        reg->urls[reg->nurls++] = u;
        if ((strncmp(u, "http://", 7) && strncmp(u, "https://", 8)) ||
            !u[strcspn(u, ":") + 3]) {
            char shown[256];
            display_url(u, shown, sizeof(shown));
            ks_errstr(errstr, errstr_size, "schema.registry.url: \"%s\" is "
                                           "not an http:// or https:// URL "
                                           "(or mock://NAME)",
                      shown);
            return -1;
        }
    }
    if (!reg->nurls) {
        ks_errstr(errstr, errstr_size, "schema.registry.url has no URL");
        return -1;
    }
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        ks_errstr(errstr, errstr_size, "libcurl initialisation failed: %s",
                  curl_easy_strerror(curl_init_rc));
        return -1;
    }
    return 0;
}

void ks_registry_http_free(kstream_avro_registry_t *reg) {
    size_t i;

    for (i = 0; i < reg->nurls; i++)
        free(reg->urls[i]);
    free(reg->urls);
    reg->urls = NULL;
    reg->nurls = 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *opaque) {
    ks_buf_t *b = opaque;
    size_t len = size * nmemb;

    if (b->len + len > MAX_BODY || ks_buf_append(b, ptr, len))
        return 0; /* curl fails the transfer */
    return len;
}

static bool retriable(CURLcode rc) {
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
        return true;
    default:
        return false;
    }
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1)
        ;
}

/* One request to one URL. 0: answered (resp->status set), 1: retriable
 * failure, -1: failure not worth retrying; \p why gets the cause. */
static int perform(kstream_avro_registry_t *reg, CURL *h, const char *base,
                   const char *method, const char *path, const char *body,
                   struct curl_slist *hdrs, ks_buf_t *out, long *status,
                   char *why, size_t why_size) {
    const kstream_avro_conf_t *c = reg->conf;
    char cerr[CURL_ERROR_SIZE];
    ks_buf_t url;
    CURLcode rc;

    ks_buf_init(&url, NULL);
    if (ks_buf_appendf(&url, "%s%s", base, path) || !ks_buf_cstr(&url)) {
        ks_buf_free(&url);
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    out->len = 0;
    cerr[0] = '\0';
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, (char *)url.data);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->request_timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!strcmp(method, "POST")) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
                         (long)(body ? strlen(body) : 0));
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    /* USER_INFO: basic.auth.user.info; URL: curl takes user:password from
     * the URL itself. */
    if (!c->cred_url && c->user_info && *c->user_info) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERPWD, c->user_info);
    }
    if (c->ssl_ca && *c->ssl_ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ssl_ca);
    if (c->ssl_cert && *c->ssl_cert)
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->ssl_cert);
    if (c->ssl_key && *c->ssl_key)
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->ssl_key);
    if (c->ssl_key_password && *c->ssl_key_password)
        curl_easy_setopt(h, CURLOPT_KEYPASSWD, c->ssl_key_password);
    if (!c->ssl_ident || !*c->ssl_ident)
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    rc = curl_easy_perform(h);
    ks_buf_free(&url);
    if (rc != CURLE_OK) {
        snprintf(why, why_size, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
        return retriable(rc) ? 1 : -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    if (*status >= 500 || *status == 408 || *status == 429) {
        json_t *j = out->len ? json_loadb((const char *)out->data, out->len,
                                          0, NULL)
                             : NULL;
        const char *msg = json_string_value(json_object_get(j, "message"));
        snprintf(why, why_size, "HTTP %ld%s%.200s", *status, msg ? ": " : "",
                 msg ? msg : "");
        json_decref(j);
        return 1;
    }
    return 0;
}

int ks_registry_http(kstream_avro_registry_t *reg, const char *method,
                     const char *path, const char *body, ks_reg_resp_t *resp,
                     char *errstr, size_t errstr_size) {
    const kstream_avro_conf_t *c = reg->conf;
    struct curl_slist *hdrs = NULL, *h2;
    char why[CURL_ERROR_SIZE + 64] = "";
    char shown[256] = "";
    size_t start = atomic_load(&reg->good_url) % reg->nurls, k, u;
    int attempt, rc = 1, backoff = c->backoff_ms;
    ks_buf_t out;
    long status = 0;
    CURL *h;

    h = curl_easy_init();
    h2 = curl_slist_append(NULL, "Content-Type: "
                                 "application/vnd.schemaregistry.v1+json");
    if (h2)
        hdrs = curl_slist_append(h2, "Accept: "
                                     "application/vnd.schemaregistry.v1+json, "
                                     "application/vnd.schemaregistry+json; "
                                     "q=0.9, application/json; q=0.5");
    if (!h || !hdrs) {
        curl_slist_free_all(hdrs ? hdrs : h2);
        if (h)
            curl_easy_cleanup(h);
        ks_errstr(errstr, errstr_size, "out of memory (libcurl)");
        return -1;
    }
    ks_buf_init(&out, NULL);
    for (attempt = 0; attempt <= c->max_retries && rc == 1; attempt++) {
        if (attempt > 0) {
            sleep_ms(backoff);
            backoff = backoff > c->backoff_max_ms / 2 ? c->backoff_max_ms
                                                      : backoff * 2;
        }
        for (k = 0; k < reg->nurls && rc == 1; k++) {
            u = (start + k) % reg->nurls;
            display_url(reg->urls[u], shown, sizeof(shown));
            rc = perform(reg, h, reg->urls[u], method, path, body, hdrs, &out,
                         &status, why, sizeof(why));
            if (rc == 0)
                atomic_store(&reg->good_url, u);
        }
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    if (rc != 0) {
        ks_buf_free(&out);
        if (rc == 1)
            ks_errstr(errstr, errstr_size,
                      "schema registry %s%s unreachable after %d "
                      "attempt%s: %s",
                      shown, reg->nurls > 1 ? " (and the other URLs)" : "",
                      attempt, attempt == 1 ? "" : "s", why);
        else
            ks_errstr(errstr, errstr_size, "schema registry %s: %s %s: %s",
                      shown, method, path, why);
        return -1;
    }
    resp->status = status;
    snprintf(resp->url, sizeof(resp->url), "%s", shown);
    resp->body = ks_buf_steal(&out);
    if (!resp->body) {
        ks_errstr(errstr, errstr_size, "out of memory");
        return -1;
    }
    return 0;
}
