"""Merges the Classify and PyTorch results of the transformer benchmark into a Markdown section (stdout)."""
import json
import sys

classify, pytorch, machine, command = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), sys.argv[4]
rows = [
    ("Inference, batch 32 × seq 128 (sentences/s)", "inference_32x128_sentences_per_s", "inference_32x128_sentences_per_s"),
    ("Inference, batch 32 × seq 32 (sentences/s)", "inference_32x32_sentences_per_s", "inference_32x32_sentences_per_s"),
    ("Training step 16 × 64, fwd+bwd+AdamW (samples/s)", "training_16x64_samples_per_s", "training_16x64_samples_per_s"),
    ("2,048 tweets, dynamic padding, length-sorted (sentences/s)", "tweets_dynamic_sentences_per_s", "tweets_dynamic_sentences_per_s"),
    (f"Tweets, every batch of 32 padded to 128, file order (first {classify.get('pad128_tweets')}) (sentences/s)", "tweets_pad128_sentences_per_s", "tweets_pad128_sentences_per_s"),
]
print(f"## Transformer engine vs PyTorch — {machine['date']}\n")
print(f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram']} RAM; load average before the run: {machine['load_before']}, after: {machine['load_after']}.")
print(f"- Classify: TorchSharp {classify.get('torchsharp')} (libtorch {classify.get('libtorch_threads')} threads), .NET {classify.get('dotnet')}. "
      f"PyTorch: Debian python3-torch {pytorch.get('torch')} ({pytorch.get('threads')} threads, BLAS: {machine['blas']}).")
print(f"- Model: random BERT-base (12 layers, hidden 768, 12 heads, FFN 3072, vocab 30,522, 2 labels), fp32, both sides; "
      f"fixed shapes and training: warm-up {classify['warmup']}, mean of {classify['iterations']} timed iterations; "
      f"tweets: one warm-up pass over 256, then one timed pass (64 batches of 32).")
print(f"- Command: `{command}`\n")
print("Per wall second, and per CPU second (user + system of all threads of the process: on a shared machine the wall")
print("figure follows the load, the CPU figure much less).\n")
print("| measurement | Classify wall | PyTorch wall | ratio wall | Classify per CPU-s | PyTorch per CPU-s | ratio CPU |")
print("|---|---:|---:|---:|---:|---:|---:|")
for title, ck, pk in rows:
    c, p = classify[ck], pytorch[pk]
    cc, pc = classify.get(ck.replace("_per_s", "_per_cpu_s")), pytorch.get(pk.replace("_per_s", "_per_cpu_s"))
    cpu = f"{cc:.2f} | {pc:.2f} | {cc / pc:.2f}×" if cc and pc else "– | – | –"
    print(f"| {title} | {c:.2f} | {p:.2f} | {c / p:.2f}× | {cpu} |")
c_dyn, p_pad = classify["tweets_dynamic_sentences_per_s"], pytorch["tweets_pad128_sentences_per_s"]
print(f"\nClassify's predictor on real tweets (tokenization included) vs PyTorch padding every batch to 128 (the notebook): **{c_dyn / p_pad:.2f}×**.")
