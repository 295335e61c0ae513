/*
 * minikctl bind shim: gives a pod its own IP without a network namespace.
 *
 * Loaded into every container process with LD_PRELOAD. It rewrites exactly one thing:
 * a bind() to the wildcard address becomes a bind() to the pod's IP, read once at load
 * from MINIKCTL_POD_IP (e.g. 127.16.0.5, an address of the loopback range). So two
 * replicas that both "listen on 0.0.0.0:8080" each get 127.16.0.x:8080 and do not clash.
 *
 *   AF_INET  0.0.0.0 -> the pod IP
 *   AF_INET6 ::      -> ::ffff:<pod IP> (IPv4-mapped), only on a dual-stack socket
 *                       (IPV6_V6ONLY off): it then keeps serving IPv4 on the pod IP. A
 *                       v6-only socket is left alone (the pod has no IPv6 address).
 *
 * Everything else (explicit addresses, 127.0.0.1, Unix sockets, no MINIKCTL_POD_IP) goes
 * to the real bind() untouched. Statically linked programs (busybox-static, Go) never load
 * LD_PRELOAD: they keep the host's ports.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

static bind_fn real_bind;
static int have_pod_ip;
static struct in_addr pod_ip;

__attribute__((constructor)) static void minikctl_bindshim_init(void)
{
    const char *ip = getenv("MINIKCTL_POD_IP");
    real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
    have_pod_ip = ip != NULL && inet_pton(AF_INET, ip, &pod_ip) == 1;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (real_bind == NULL)
        minikctl_bindshim_init();
    if (!have_pod_ip || addr == NULL)
        return real_bind(fd, addr, len);

    if (addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in sin;
        memcpy(&sin, addr, sizeof sin);
        if (sin.sin_addr.s_addr == htonl(INADDR_ANY)) {
            sin.sin_addr = pod_ip;
            return real_bind(fd, (const struct sockaddr *)&sin, sizeof sin);
        }
    } else if (addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 sin6;
        int v6only = 0;
        socklen_t optlen = sizeof v6only;
        memcpy(&sin6, addr, sizeof sin6);
        if (IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr)
            && getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &optlen) == 0 && !v6only) {
            memset(&sin6.sin6_addr, 0, sizeof sin6.sin6_addr);
            sin6.sin6_addr.s6_addr[10] = 0xff;
            sin6.sin6_addr.s6_addr[11] = 0xff;
            memcpy(&sin6.sin6_addr.s6_addr[12], &pod_ip, 4);
            return real_bind(fd, (const struct sockaddr *)&sin6, sizeof sin6);
        }
    }
    return real_bind(fd, addr, len);
}
