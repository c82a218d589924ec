"""An objective written outside gankit, with network names of its own: a `decoder` maps z to x, a `critic` scores
x, trained with the hinge losses (Lim & Ye 2017, arXiv 1705.02894). Importing the file registers it as
"hinge-decoder"; nothing in gankit names it.

    gankit --plugin examples/outside_objective.py train --config my.yaml   # my.yaml: objective.name hinge-decoder
    gankit --plugin examples/outside_objective.py sample RUN
    GANKIT_PLUGINS=examples/outside_objective.py gankit eval RUN
"""
import torch.nn.functional as F

from gankit.objectives import OBJECTIVES, Capabilities, NetworkSlot, Objective, Phase
from gankit.objectives.base import with_total


@OBJECTIVES.register("hinge-decoder")
class HingeDecoder(Objective):
    """min_critic E[relu(1 - critic(x))] + E[relu(1 + critic(decoder(z)))]; min_decoder -E[critic(decoder(z))]."""

    networks = {"decoder": NetworkSlot("generator"), "critic": NetworkSlot("discriminator")}
    capabilities = Capabilities(critic="critic", penalties=True, refine="latent")
    ema_networks = ("decoder",)  # sampling and evaluation use a weight average of the decoder

    def phases(self) -> list[Phase]:
        return [Phase("critic", ("critic",), "critic", self.critic_loss),
                Phase("decoder", ("decoder",), "generator", self.decoder_loss, uses_real=False)]

    def critic_loss(self, batch):
        x_fake = self.nets["decoder"](batch.z).detach()
        real, fake = self.nets["critic"](batch.x), self.nets["critic"](x_fake)  # [N], [N]
        terms = {"critic_loss": F.relu(1 - real).mean() + F.relu(1 + fake).mean()}
        terms.update(self.penalty_terms(self.nets["critic"], batch.x, x_fake, batch.phase_step))
        return with_total(terms, critic_real=real.mean(), critic_fake=fake.mean())

    def decoder_loss(self, batch):
        return with_total({"decoder_loss": -self.nets["critic"](self.nets["decoder"](batch.z)).mean()})

    def generate(self, z, nets, generator=None):
        return nets["decoder"](z)
