// Allocation-heavy program whose garbage collections make the Node fixture (see make-logs.sh):
// a rolling window of live arrays and short-lived garbage in between, a fixed-seed generator.
const rounds = Number(process.argv[2] || 300);
const live = new Array(4096);
let seed = 12345;
let sum = 0;
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < 200; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const size = 256 + (seed % 8192);
    const garbage = new Array(size >> 3).fill(i);
    sum += garbage.length;
    if (i % 10 === 0) live[seed & 4095] = new Array(size).fill(r);
  }
}
console.log("checksum", sum);
