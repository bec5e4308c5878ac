;; SIMD exposure of one row segment: signal → shot + read noise → full-well clip → gain, black level →
;; 12-bit ADC → packing, 8 pixels per iteration. The hot loop of every simulated frame.
;; Source of sensor.wasm; rebuild with: wat2wasm --enable-threads sensor.wat -o sensor.wasm (Debian: wabt).
;; Memory (imported, shared between render threads): standard-normal table of 4096 f32 at byte 0 (filled by
;; the host); the signal is read from byte src (a basis image row in the arena, or a scratch row) and the
;; u16 codes written from byte dst. n = pixels, rounded up here to a multiple of 8 (the host pads the memory).
;; Noise: 4 xorshift32 streams, pixel x uses lane x mod 4; table index = (state >>> 8) & 4095.
;; Every f32 operation mirrors the JS reference in sensor-kernel.ts step for step (bit-identical codes).
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func (export "expose") (param $n i32) (param $src i32) (param $dst i32) (param $w f32) (param $read2 f32) (param $full f32) (param $k f32)
        (param $off f32) (param $adcMax f32) (param $noise i32) (param $shift i32) (param $mulShift i32)
        (param $s0 i32) (param $s1 i32) (param $s2 i32) (param $s3 i32)
    (local $i i32) (local $end i32) (local $o i32)
    (local $W v128) (local $R2 v128) (local $FULL v128) (local $K v128) (local $OFF v128) (local $MAX v128) (local $ZERO v128)
    (local $s v128) (local $e v128) (local $g v128) (local $a v128) (local $b v128) (local $idx v128)
    (local.set $W (f32x4.splat (local.get $w)))
    (local.set $R2 (f32x4.splat (local.get $read2)))
    (local.set $FULL (f32x4.splat (local.get $full)))
    (local.set $K (f32x4.splat (local.get $k)))
    (local.set $OFF (f32x4.splat (local.get $off)))
    (local.set $MAX (f32x4.splat (local.get $adcMax)))
    (local.set $ZERO (f32x4.splat (f32.const 0)))
    (local.set $s (i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1 (i32x4.splat (local.get $s0))
      (local.get $s1)) (local.get $s2)) (local.get $s3)))
    ;; 8 pixels per iteration: two f32x4 in (32 bytes), one i16x8 out (16 bytes).
    (local.set $end (i32.mul (i32.and (i32.add (local.get $n) (i32.const 7)) (i32.const -8)) (i32.const 4)))
    (local.set $i (local.get $src))
    (local.set $end (i32.add (local.get $end) (local.get $src)))
    (local.set $o (local.get $dst))
    (block $done (loop $lp
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      ;; first 4 pixels
      (local.set $e (f32x4.mul (v128.load (local.get $i)) (local.get $W)))
      (if (local.get $noise) (then
        (local.set $s (v128.xor (local.get $s) (i32x4.shl (local.get $s) (i32.const 13))))
        (local.set $s (v128.xor (local.get $s) (i32x4.shr_u (local.get $s) (i32.const 17))))
        (local.set $s (v128.xor (local.get $s) (i32x4.shl (local.get $s) (i32.const 5))))
        (local.set $idx (i32x4.shl (v128.and (i32x4.shr_u (local.get $s) (i32.const 8)) (i32x4.splat (i32.const 4095))) (i32.const 2)))
        (local.set $g (v128.load32_zero (i32x4.extract_lane 0 (local.get $idx))))
        (local.set $g (v128.load32_lane 1 (i32x4.extract_lane 1 (local.get $idx)) (local.get $g)))
        (local.set $g (v128.load32_lane 2 (i32x4.extract_lane 2 (local.get $idx)) (local.get $g)))
        (local.set $g (v128.load32_lane 3 (i32x4.extract_lane 3 (local.get $idx)) (local.get $g)))
        (local.set $e (f32x4.add (local.get $e) (f32x4.mul (f32x4.sqrt (f32x4.add (local.get $e) (local.get $R2))) (local.get $g))))))
      (local.set $e (f32x4.pmin (local.get $FULL) (local.get $e)))
      (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $K)) (local.get $OFF)))
      (local.set $e (f32x4.pmin (local.get $MAX) (f32x4.pmax (local.get $ZERO) (local.get $e))))
      (local.set $a (i32x4.shl (i32x4.shr_u (i32x4.trunc_sat_f32x4_s (local.get $e)) (local.get $shift)) (local.get $mulShift)))
      ;; next 4 pixels
      (local.set $e (f32x4.mul (v128.load offset=16 (local.get $i)) (local.get $W)))
      (if (local.get $noise) (then
        (local.set $s (v128.xor (local.get $s) (i32x4.shl (local.get $s) (i32.const 13))))
        (local.set $s (v128.xor (local.get $s) (i32x4.shr_u (local.get $s) (i32.const 17))))
        (local.set $s (v128.xor (local.get $s) (i32x4.shl (local.get $s) (i32.const 5))))
        (local.set $idx (i32x4.shl (v128.and (i32x4.shr_u (local.get $s) (i32.const 8)) (i32x4.splat (i32.const 4095))) (i32.const 2)))
        (local.set $g (v128.load32_zero (i32x4.extract_lane 0 (local.get $idx))))
        (local.set $g (v128.load32_lane 1 (i32x4.extract_lane 1 (local.get $idx)) (local.get $g)))
        (local.set $g (v128.load32_lane 2 (i32x4.extract_lane 2 (local.get $idx)) (local.get $g)))
        (local.set $g (v128.load32_lane 3 (i32x4.extract_lane 3 (local.get $idx)) (local.get $g)))
        (local.set $e (f32x4.add (local.get $e) (f32x4.mul (f32x4.sqrt (f32x4.add (local.get $e) (local.get $R2))) (local.get $g))))))
      (local.set $e (f32x4.pmin (local.get $FULL) (local.get $e)))
      (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $K)) (local.get $OFF)))
      (local.set $e (f32x4.pmin (local.get $MAX) (f32x4.pmax (local.get $ZERO) (local.get $e))))
      (local.set $b (i32x4.shl (i32x4.shr_u (i32x4.trunc_sat_f32x4_s (local.get $e)) (local.get $shift)) (local.get $mulShift)))
      (v128.store (local.get $o) (i16x8.narrow_i32x4_u (local.get $a) (local.get $b)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br $lp)))
  )
)
