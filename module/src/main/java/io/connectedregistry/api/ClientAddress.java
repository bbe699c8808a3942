package io.connectedregistry.api;

import io.netty.util.NetUtil;
import io.vertx.core.http.HttpServerRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The address a request comes from, for the failed-login throttle and the log.
 *
 * <p>Behind a reverse proxy (the IoT Edge API proxy) every connection comes from the proxy. When
 * the peer is one of {@code http.trustedProxies}, the client is the right-most address of
 * {@code X-Forwarded-For} that is not a trusted proxy itself: each proxy appends the address it
 * saw, so that entry was written by a proxy we trust, while anything left of it may have been
 * written by the client. From any other peer the header is ignored (the client's own word).
 * Addresses are parsed as literals only (never a DNS lookup) and written in one canonical form,
 * so one client cannot pass for many by spelling its address differently.
 */
final class ClientAddress {
  private static final String HEADER = "X-Forwarded-For";

  /** An address range: the first {@code prefix} bits of {@code network}. */
  private record Range(byte[] network, int prefix) {
    boolean contains(InetAddress address) {
      byte[] bytes = address.getAddress();
      if (bytes.length != network.length) {
        return false;
      }
      for (int bit = 0; bit < prefix; bit++) {
        int mask = 0x80 >>> (bit % 8);
        if ((bytes[bit / 8] & mask) != (network[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }

  private final List<Range> trusted = new ArrayList<>();

  /** @param trustedProxies addresses and CIDR ranges, as validated by the config loader */
  ClientAddress(List<String> trustedProxies) {
    for (String entry : trustedProxies) {
      int slash = entry.indexOf('/');
      InetAddress network = parse(slash < 0 ? entry : entry.substring(0, slash));
      if (network == null) {
        throw new IllegalArgumentException("http.trustedProxies: '" + entry + "' is not an address");
      }
      int bits = network.getAddress().length * 8;
      trusted.add(new Range(network.getAddress(),
          slash < 0 ? bits : Math.min(bits, Integer.parseInt(entry.substring(slash + 1)))));
    }
  }

  String of(HttpServerRequest request) {
    String peer = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
    return of(peer, request.headers().getAll(HEADER));
  }

  /**
   * @param peer the TCP peer's address
   * @param forwardedFor the values of every {@code X-Forwarded-For} header, in order
   */
  String of(String peer, List<String> forwardedFor) {
    InetAddress hop = peer == null ? null : parse(peer);
    if (hop == null) {
      return "unknown";
    }
    if (!isTrusted(hop)) {
      return NetUtil.toAddressString(hop);
    }
    List<String> entries = new ArrayList<>();
    for (String value : forwardedFor) {
      for (String entry : value.split(",")) {
        entries.add(entry.strip());
      }
    }
    for (int i = entries.size() - 1; i >= 0; i--) {
      InetAddress entry = parse(entries.get(i));
      if (entry == null) {
        // Not an address: the request is charged to the nearest hop we could trust.
        break;
      }
      hop = entry;
      if (!isTrusted(entry)) {
        break;
      }
    }
    return NetUtil.toAddressString(hop);
  }

  private boolean isTrusted(InetAddress address) {
    for (Range range : trusted) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** An IP literal, optionally {@code [v6]}, {@code [v6]:port} or {@code v4:port}; null otherwise. */
  private static InetAddress parse(String text) {
    String literal = text;
    if (literal.startsWith("[")) {
      int close = literal.indexOf(']');
      literal = close < 0 ? literal : literal.substring(1, close);
    } else if (literal.indexOf(':') > 0 && literal.indexOf(':') == literal.lastIndexOf(':')) {
      literal = literal.substring(0, literal.indexOf(':'));
    }
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(literal);
    if (bytes == null) {
      return null;
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
