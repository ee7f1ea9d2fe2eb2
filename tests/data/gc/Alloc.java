// Allocation-heavy program whose garbage collections make the JVM fixtures (see make-logs.sh).
// It keeps a rolling window of live arrays, so young collections copy something and the old
// generation fills slowly, and allocates short-lived garbage in between. Deterministic: no
// clock, no randomness beyond a fixed-seed generator, a fixed number of rounds (argument 1).
public final class Alloc {
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        byte[][] live = new byte[4096][];
        long seed = 12345;
        long checksum = 0;
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < 200; i++) {
                seed = seed * 6364136223846793005L + 1442695040888963407L;
                int size = 256 + (int) ((seed >>> 33) % 8192);
                byte[] garbage = new byte[size];
                garbage[size - 1] = (byte) i;
                checksum += garbage[size - 1];
                if (i % 10 == 0) {
                    live[(int) ((seed >>> 20) & 4095)] = new byte[size];
                }
            }
        }
        System.out.println("checksum " + checksum);
        // The JVM's own figures, for the cross-check in tests/lock/pauses.rs: each collector's
        // count and accumulated time (whole milliseconds) as its management bean reports them.
        for (java.lang.management.GarbageCollectorMXBean gc
                : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            System.out.println("bean " + gc.getName() + ": count " + gc.getCollectionCount()
                    + ", time " + gc.getCollectionTime() + " ms");
        }
    }
}
