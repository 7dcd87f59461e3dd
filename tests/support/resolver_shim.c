/* A resolver failure injected into a test process with LD_PRELOAD, so that name-lookup
 * failures can be tested without real DNS.
 *
 *   LD_PRELOAD=.../libawsdl_resolver_shim.so \
 *   AWSDL_RESOLVER_SHIM_FAIL="flaky.test=1,down.test=-1" program ...
 *
 * getaddrinfo() of a listed name fails with EAI_NONAME that many times (-1: always), and
 * after that resolves the name to 127.0.0.1 (keeping the service/port asked for). Every other
 * name goes to the real resolver. awsdl_resolver_shim_lookups(name) says how often a listed
 * name was looked up; a test can find it with dlsym(RTLD_DEFAULT, ...) to know it runs under
 * the shim. */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_NAMES 16
#define MAX_NAME 256

struct rule {
  char name[MAX_NAME];
  long failures_left; /* -1: always */
  long lookups;
};

static struct rule rules[MAX_NAMES];
static int rule_count;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

typedef int (*getaddrinfo_fn)(const char*, const char*, const struct addrinfo*, struct addrinfo**);

__attribute__((constructor)) static void read_rules(void) {
  const char* spec = getenv("AWSDL_RESOLVER_SHIM_FAIL");
  if (spec == NULL) return;
  const char* p = spec;
  while (*p != '\0' && rule_count < MAX_NAMES) {
    const char* end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char* eq = memchr(p, '=', len);
    size_t name_len = eq ? (size_t)(eq - p) : len;
    if (name_len > 0 && name_len < MAX_NAME) {
      struct rule* r = &rules[rule_count++];
      memcpy(r->name, p, name_len);
      r->name[name_len] = '\0';
      r->failures_left = eq ? strtol(eq + 1, NULL, 10) : 1;
      r->lookups = 0;
    }
    if (end == NULL) break;
    p = end + 1;
  }
}

static struct rule* find_rule(const char* node) {
  for (int i = 0; i < rule_count; ++i)
    if (strcasecmp(rules[i].name, node) == 0) return &rules[i];
  return NULL;
}

__attribute__((visibility("default"))) long awsdl_resolver_shim_lookups(const char* name) {
  pthread_mutex_lock(&mu);
  struct rule* r = find_rule(name);
  long n = r ? r->lookups : -1;
  pthread_mutex_unlock(&mu);
  return n;
}

__attribute__((visibility("default"))) int getaddrinfo(const char* node, const char* service,
                                                       const struct addrinfo* hints, struct addrinfo** res) {
  getaddrinfo_fn real = (getaddrinfo_fn)dlsym(RTLD_NEXT, "getaddrinfo");
  if (real == NULL) return EAI_SYSTEM;
  if (node == NULL) return real(node, service, hints, res);
  int fail = 0, listed = 0;
  pthread_mutex_lock(&mu);
  struct rule* r = find_rule(node);
  if (r != NULL) {
    listed = 1;
    ++r->lookups;
    if (r->failures_left != 0) {
      fail = 1;
      if (r->failures_left > 0) --r->failures_left;
    }
  }
  pthread_mutex_unlock(&mu);
  if (fail) return EAI_NONAME;
  if (listed) {
    struct addrinfo h;
    memset(&h, 0, sizeof h);
    if (hints != NULL) h = *hints;
    h.ai_family = AF_INET;
    h.ai_flags &= ~AI_CANONNAME;
    return real("127.0.0.1", service, &h, res);
  }
  return real(node, service, hints, res);
}
