package io.connectedregistry.launcher;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

/** Run in a JVM of its own by {@link ProfileOptionsTest}: prints which allocator Netty chose. */
public final class NettyAllocatorProbe {
  private NettyAllocatorProbe() {}

  public static void main(String[] args) {
    ByteBufAllocator allocator = ByteBufAllocator.DEFAULT;
    StringBuilder out = new StringBuilder(allocator.getClass().getSimpleName());
    if (allocator instanceof PooledByteBufAllocator pooled) {
      out.append(" directArenas=").append(pooled.metric().numDirectArenas())
          .append(" heapArenas=").append(pooled.metric().numHeapArenas())
          .append(" chunkSize=").append(pooled.metric().chunkSize());
    }
    System.out.println(out);
  }
}
